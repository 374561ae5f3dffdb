"""Known rumors to load into the knowledge base, read with the dataset's typed loader from
the project's CC0 file (crisisgov/opinion/dataset/rumors.jsonl) or a file of the same shape.

Only what the knowledge base holds is taken: the canonical zh/en claims, the verdict, the
owner department and the official clarification with its source. Paraphrases and debunking
posts are evaluation data and stay out of it.
"""

from __future__ import annotations

from pathlib import Path

from crisisgov.kernel.errors import DomainError
from crisisgov.opinion.dataset import load
from crisisgov.opinion.rumors.services import KbRow

SOURCE_FILE = "rumors.jsonl"


def kb_row(rumor: load.Rumor) -> KbRow:
    title, _, url = rumor.source.partition(" http")  # "title https://..." when it has a link
    return KbRow(
        code=rumor.id,
        hazard=rumor.hazard,
        department=rumor.owner,
        verdict=rumor.verdict,
        claim_zh=rumor.claim_zh,
        claim_en=rumor.claim_en,
        clarification_zh=rumor.clarification_zh,
        clarification_en=rumor.clarification_en,
        source_title=title.strip(),
        source_url=f"http{url}".strip() if url else "",
        urgent=rumor.urgent,
    )


def rows_from(path: Path | None = None) -> list[KbRow]:
    """The rows of the committed dataset, or of `path`: a directory holding a rumors.jsonl, or
    that file itself. A malformed line is named by file and number."""
    directory = None
    if path is not None:
        directory = path.parent if path.name == SOURCE_FILE else path
        if not (directory / SOURCE_FILE).is_file():
            raise DomainError(f"no {SOURCE_FILE} in {directory}", field="from")
    try:
        return [kb_row(rumor) for rumor in load.rumors(directory)]
    except load.DatasetError as exc:
        raise DomainError(str(exc), field="from") from None
