"""The HTTP answer for a published file: exactly its stored bytes, with their digest as ETag."""

from fastapi.responses import Response

from app.core.concurrency import not_modified
from app.periods.models import Publication, PublicationFile


def serve(
    file: PublicationFile, *, publication: Publication, inline: bool, if_none_match: str | None
) -> Response:
    tag = f'"{file.sha256}"'
    headers = {"ETag": tag, "X-Published-Version": str(publication.version)}
    if not_modified(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    kind = "inline" if inline else "attachment"
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            **headers,
            "Content-Disposition": f'{kind}; filename="{file.filename}"',
            "Cache-Control": "private, no-cache",
        },
    )
