"""Chain the audit entries written before the hash chain existed, in the order of their ids."""

from django.db import migrations


def chain_existing(apps, schema_editor):
    from verbund.core.audit_chain import entry_digest

    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    previous_hash = ""
    position = 0
    for entry in AuditEntry.objects.order_by("id").iterator():
        position += 1
        ref = f"user:{entry.actor_id}" if entry.actor_id else f"label:{entry.actor_label}"
        digest = entry_digest(
            position=position,
            previous_hash=previous_hash,
            at=entry.at,
            actor_ref=ref,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            before=entry.before,
            after=entry.after,
            details=entry.details,
        )
        AuditEntry.objects.filter(pk=entry.pk).update(
            position=position, actor_ref=ref, previous_hash=previous_hash, entry_hash=digest
        )
        previous_hash = digest
    AuditChainHead.objects.update_or_create(
        pk=1, defaults={"position": position, "last_hash": previous_hash}
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_hash_chain")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
