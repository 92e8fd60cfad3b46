"""HTML printed to a tagged A4 PDF by WeasyPrint: the evaluation report and the 360 report.

Nothing in such a document comes from elsewhere: its charts are data: URIs and its styles one
stylesheet of ours; any other address (in a name someone typed, say) is refused, so a
document can never be made to fetch from the network or read another file.
"""

from __future__ import annotations

import logging

# WeasyPrint logs every layout step at INFO: a server's log wants only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def pdf_from_html(document: str, stylesheet: str) -> bytes:
    """``document`` as a tagged PDF (PDF/UA-1), fetching only ``stylesheet`` (a file: URI)
    and data: URIs."""
    # Imported here: WeasyPrint loads Pango when imported, which only this needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class OwnFilesOnly(URLFetcher):
        """Fetches the stylesheet and data: URIs, and refuses anything else."""

        def fetch(self, url, headers=None):
            if url != stylesheet and not url.startswith("data:"):
                raise ValueError(f"The document fetches nothing from {url[:60]!r}.")
            return super().fetch(url, headers)

    html = HTML(string=document, url_fetcher=OwnFilesOnly(allowed_protocols=("data", "file")))
    return html.write_pdf(pdf_variant="pdf/ua-1")
