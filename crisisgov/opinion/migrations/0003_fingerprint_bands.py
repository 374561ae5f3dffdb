"""Fingerprint bands in the multi-index layout (five bands of 13 or 12 bits, probed within
1 bit) instead of nine bands of 7 bits: the rows of every indexed message again."""

from django.db import migrations


def rebuild_bands(apps, schema_editor):
    from crisisgov.opinion.understanding import bands

    FingerprintBand = apps.get_model("opinion", "FingerprintBand")
    Message = apps.get_model("opinion", "Message")
    FingerprintBand.objects.all().delete()
    originals = Message.objects.filter(duplicate_of=None).exclude(fingerprint=0)
    batch = []
    for message_id, fingerprint, posted_at in originals.values_list(
        "id", "fingerprint", "posted_at"
    ).iterator():
        batch += [
            FingerprintBand(message_id=message_id, band=band, value=value, posted_at=posted_at)
            for band, value in bands(fingerprint)
        ]
        if len(batch) >= 3000:
            FingerprintBand.objects.bulk_create(batch)
            batch = []
    FingerprintBand.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("opinion", "0002_analysis_stage")]

    operations = [migrations.RunPython(rebuild_bands, migrations.RunPython.noop)]
