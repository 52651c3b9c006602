"""BundID login over SAML 2.0 against an identity provider started in the test: pysaml2's
IdP `Server` with its own key and certificate, talking to Verbund's real SP endpoints."""

from __future__ import annotations

import base64
import shutil
import time
from urllib.parse import parse_qs, urlparse

import pytest
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

from verbund.accounts import saml
from verbund.accounts.models import FederatedIdentity, Profile, User
from verbund.core.testing import needs_mark

pytestmark = [
    pytest.mark.django_db,
    needs_mark("xmlsec1"),
]

IDP_ENTITY_ID = "https://id.bund.de.test/idp"
SSO_URL = "https://id.bund.de.test/sso"
BPK2 = "bPK2-Testperson-4711"
OTHER_SP = "https://anderer-dienst.example.org/sp"


def _idp_config(tmp_path, sp_metadata: str | None) -> IdPConfig:
    key_file, cert_file = tmp_path / "idp-key.pem", tmp_path / "idp-cert.pem"
    if not key_file.exists():
        key_pem, cert_pem = saml.self_signed_pair("BundID Test-IdP")
        key_file.write_bytes(key_pem)
        cert_file.write_bytes(cert_pem)
    config: dict = {
        "entityid": IDP_ENTITY_ID,
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "attribute_map_dir": saml.ATTRIBUTE_MAP_DIR,
        "service": {
            "idp": {
                "endpoints": {"single_sign_on_service": [(SSO_URL, BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    }
                },
            }
        },
    }
    if sp_metadata is not None:
        sp_file = tmp_path / "sp-metadata.xml"
        sp_file.write_text(sp_metadata)
        # A second service provider of the same IdP, to answer for another audience.
        other_file = tmp_path / "other-sp-metadata.xml"
        other_file.write_text(
            sp_metadata.replace("http://testserver/konto/saml/metadata/", OTHER_SP)
        )
        config["metadata"] = {"local": [str(sp_file), str(other_file)]}
    idp_config = IdPConfig()
    idp_config.load(config)
    return idp_config


class InTestIdP:
    """The identity provider: answers AuthnRequests with signed Responses."""

    def __init__(self, tmp_path, client, settings) -> None:
        metadata_file = tmp_path / "idp-metadata.xml"
        metadata_file.write_bytes(
            create_metadata_string(None, config=_idp_config(tmp_path, None), valid=24)
        )
        settings.VERBUND_SAML_IDP_METADATA = str(metadata_file)
        settings.VERBUND_SAML_SP_ENTITY_ID = ""
        sp_key, sp_cert = saml.self_signed_pair("Verbund SP (Test)")
        (tmp_path / "sp-key.pem").write_bytes(sp_key)
        (tmp_path / "sp-cert.pem").write_bytes(sp_cert)
        settings.VERBUND_SAML_SP_KEY_FILE = str(tmp_path / "sp-key.pem")
        settings.VERBUND_SAML_SP_CERT_FILE = str(tmp_path / "sp-cert.pem")
        sp_metadata = client.get("/konto/saml/metadata/")
        assert sp_metadata.status_code == 200
        self.server = Server(config=_idp_config(tmp_path, sp_metadata.content.decode()))
        self.sp_entity_id = "http://testserver/konto/saml/metadata/"

    def receive(self, location: str):
        url = urlparse(location)
        assert f"{url.scheme}://{url.netloc}{url.path}" == SSO_URL
        query = parse_qs(url.query)
        assert "Signature" in query  # Verbund signs its AuthnRequests
        request = self.server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        return request.message, query.get("RelayState", [""])[0]

    def respond(
        self,
        authn_request,
        *,
        level: str = "STORK-QAA-Level-4",
        sign: bool = True,
        audience: str | None = None,
        in_response_to: str | None = None,
        **attributes: str,
    ) -> str:
        identity = {
            "bpk2": [BPK2],
            "given_name": ["Erika"],
            "family_name": ["Mustermann"],
            "email": ["erika@example.org"],
            "birth_date": ["1984-08-12"],
            "street": ["Hauptstraße 12"],
            "postal_code": ["37318"],
            "city": ["Arenshausen"],
            "postkorb_handle": ["postkorb-0815"],
            "trust_level": [level],
        }
        identity.update({name: [value] for name, value in attributes.items()})
        response = self.server.create_authn_response(
            identity=identity,
            in_response_to=in_response_to or authn_request.id,
            destination=authn_request.assertion_consumer_service_url,
            sp_entity_id=audience or self.sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=BPK2),
            authn={"class_ref": level, "authn_auth": IDP_ENTITY_ID},
            sign_response=sign,
            sign_assertion=sign,
        )
        return base64.b64encode(str(response).encode()).decode()


@pytest.fixture
def idp(tmp_path, client, settings) -> InTestIdP:
    return InTestIdP(tmp_path, client, settings)


def _start(client, idp: InTestIdP):
    response = client.get("/konto/saml/anmelden/?next=/konto/")
    assert response.status_code == 302
    return idp.receive(response["Location"])


def test_bundid_login_creates_an_account_at_the_reported_trust_level(client, idp, settings):
    settings.VERBUND_SAML_MIN_TRUST_LEVEL = "STORK-QAA-Level-3"
    # when Verbund sends the AuthnRequest
    request, relay_state = _start(client, idp)
    # then it asks for at least the configured level
    context = request.requested_authn_context
    assert context.comparison == "minimum"
    assert context.authn_context_class_ref[0].text == "STORK-QAA-Level-3"
    assert relay_state == "/konto/"
    # when the IdP answers with a signed Response at level 4 (eID card)
    response = client.post(
        "/konto/saml/acs/", {"SAMLResponse": idp.respond(request), "RelayState": relay_state}
    )
    # then the person is logged in, with trust level high, and the attributes are mapped
    assert response.status_code == 302 and response["Location"] == "/konto/"
    identity = FederatedIdentity.objects.get(provider="bundid", subject=BPK2)
    assert identity.trust_level == "high"
    assert identity.postkorb_handle == "postkorb-0815"
    user = identity.user
    assert user.kind == User.Kind.CITIZEN and user.trust_level == "high"
    assert user.email == "erika@example.org" and user.email_verified_at is not None
    profile = Profile.objects.get(user=user)
    assert (profile.given_name, profile.family_name) == ("Erika", "Mustermann")
    assert profile.birth_date.isoformat() == "1984-08-12"
    assert (profile.street, profile.postal_code, profile.city) == (
        "Hauptstraße 12",
        "37318",
        "Arenshausen",
    )
    assert profile.source == "bundid"
    assert client.session["verbund.auth"]["trust_level"] == "high"
    assert client.session["verbund.auth"]["method"] == "bundid"
    page = client.get("/konto/").content.decode()
    assert 'data-session-trust-level="high"' in page


def test_the_same_bpk2_logs_into_the_same_account_again(client, idp):
    request, _ = _start(client, idp)
    client.post("/konto/saml/acs/", {"SAMLResponse": idp.respond(request)})
    first = FederatedIdentity.objects.get(subject=BPK2).user_id
    client.post("/konto/abmelden/")
    request, _ = _start(client, idp)
    response = client.post(
        "/konto/saml/acs/",
        {"SAMLResponse": idp.respond(request, level="STORK-QAA-Level-3", city="Erfurt")},
    )
    assert response.status_code == 302
    assert FederatedIdentity.objects.filter(subject=BPK2).count() == 1
    assert int(client.session["_auth_user_id"]) == first
    assert client.session["verbund.auth"]["trust_level"] == "substantial"
    assert Profile.objects.get(user_id=first).city == "Erfurt"


def test_a_logged_in_citizen_links_bundid_to_the_account(client, idp, citizen):
    from verbund.accounts.tests.conftest import log_in

    log_in(client, citizen.email)
    request, _ = _start(client, idp)
    response = client.post("/konto/saml/acs/", {"SAMLResponse": idp.respond(request)})
    assert response.status_code == 302 and response["Location"] == "/konto/"
    assert FederatedIdentity.objects.get(subject=BPK2).user == citizen
    citizen.refresh_from_db()
    assert citizen.trust_level == "high"


def test_a_response_below_the_requested_level_is_refused(client, idp, settings):
    settings.VERBUND_SAML_MIN_TRUST_LEVEL = "STORK-QAA-Level-3"
    request, _ = _start(client, idp)
    response = client.post(
        "/konto/saml/acs/", {"SAMLResponse": idp.respond(request, level="STORK-QAA-Level-1")}
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "Vertrauensniveau Ihrer Anmeldung (STORK-QAA-Level-1) reicht nicht aus" in body
    assert "_auth_user_id" not in client.session
    assert not FederatedIdentity.objects.filter(subject=BPK2).exists()


def test_an_unsigned_response_is_refused(client, idp):
    request, _ = _start(client, idp)
    response = client.post("/konto/saml/acs/", {"SAMLResponse": idp.respond(request, sign=False)})
    assert response.status_code == 403
    assert "keine gültige Signatur" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_response_signed_by_another_key_is_refused(client, idp, tmp_path):
    request, _ = _start(client, idp)
    impostor_dir = tmp_path / "impostor"
    impostor_dir.mkdir()
    (impostor_dir / "sp-metadata.xml").write_text((tmp_path / "sp-metadata.xml").read_text())
    impostor = Server(config=_idp_config(impostor_dir, (tmp_path / "sp-metadata.xml").read_text()))
    idp.server = impostor
    response = client.post("/konto/saml/acs/", {"SAMLResponse": idp.respond(request)})
    assert response.status_code == 403
    assert "keine gültige Signatur" in response.content.decode()


def test_an_expired_response_is_refused(client, idp, monkeypatch):
    request, _ = _start(client, idp)
    answer = idp.respond(request)
    # the response arrives two hours later than it was issued
    import saml2.time_util

    real_now = saml2.time_util.utc_now
    monkeypatch.setattr(saml2.time_util, "utc_now", lambda: real_now() + 2 * 3600)
    response = client.post("/konto/saml/acs/", {"SAMLResponse": answer})
    assert response.status_code == 403
    assert "abgelaufen" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_response_for_another_audience_is_refused(client, idp):
    request, _ = _start(client, idp)
    answer = idp.respond(request, audience=OTHER_SP)
    response = client.post("/konto/saml/acs/", {"SAMLResponse": answer})
    assert response.status_code == 403
    assert "für einen anderen Dienst bestimmt" in response.content.decode()


def test_a_response_to_a_request_of_another_session_is_refused(client, idp):
    request, _ = _start(client, idp)
    answer = idp.respond(request, in_response_to="id-eines-anderen-browsers")
    response = client.post("/konto/saml/acs/", {"SAMLResponse": answer})
    assert response.status_code == 403
    assert "keine Anmeldeanfrage" in response.content.decode()


def test_saml_endpoints_are_absent_without_idp_metadata(client, settings):
    settings.VERBUND_SAML_IDP_METADATA = ""
    assert client.get("/konto/saml/anmelden/").status_code == 404
    assert "BundID" not in client.get("/konto/anmelden/").content.decode()


def test_the_clock_of_this_machine_is_sane_for_saml():
    # pysaml2 compares against UTC; a broken clock would make the tests above meaningless
    assert abs(time.time() - time.mktime(time.gmtime()) + time.timezone) < 5


def test_an_encrypted_assertion_is_decrypted_with_the_sp_key(client, idp, tmp_path):
    # BundID encrypts its assertions to the SP's certificate from the SP metadata
    request, _ = _start(client, idp)
    response = idp.server.create_authn_response(
        identity={"bpk2": [BPK2], "trust_level": ["STORK-QAA-Level-3"], "given_name": ["Erika"]},
        in_response_to=request.id,
        destination=request.assertion_consumer_service_url,
        sp_entity_id=idp.sp_entity_id,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=BPK2),
        authn={"class_ref": "STORK-QAA-Level-3", "authn_auth": IDP_ENTITY_ID},
        sign_response=True,
        sign_assertion=True,
        encrypt_assertion=True,
        encrypt_cert_assertion=(tmp_path / "sp-cert.pem").read_text(),
    )
    assert "EncryptedAssertion" in str(response) and "Erika" not in str(response)
    answer = base64.b64encode(str(response).encode()).decode()
    result = client.post("/konto/saml/acs/", {"SAMLResponse": answer})
    assert result.status_code == 302, result.content.decode()[:500]
    identity = FederatedIdentity.objects.get(subject=BPK2)
    assert identity.trust_level == "substantial"
    assert Profile.objects.get(user=identity.user).given_name == "Erika"


def test_a_bundid_login_within_a_password_session_raises_the_session_level(client, idp, citizen):
    # Issue 11, finding 2 (step-up): a service asked for acr_values above the session
    from verbund.accounts import actions
    from verbund.accounts.tests.conftest import log_in

    actions.register_connected_service(
        name="Dienst", client_id="dienst", redirect_uris=["https://d.example.org/cb"], actor="t"
    )
    log_in(client, citizen.email)
    authorize = (
        "/oidc/authorize/?response_type=code&client_id=dienst&scope=openid&state=s"
        "&redirect_uri=https%3A%2F%2Fd.example.org%2Fcb&code_challenge="
        + "a" * 43
        + "&code_challenge_method=S256&acr_values=urn%3Averbund%3Atrust-level%3Ahigh"
    )
    assert client.get(authorize)["Location"].startswith("/konto/anmelden/")
    # when the holder logs in with BundID (eID card) in the same session
    request, _ = _start(client, idp)
    client.post("/konto/saml/acs/", {"SAMLResponse": idp.respond(request)})
    # then the session is at level high and the service's request is answered
    assert client.session["verbund.auth"]["trust_level"] == "high"
    assert client.get(authorize).status_code == 200
