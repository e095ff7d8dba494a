"""Copy a few of the browser journeys' screenshots, cropped to one tablet screen and scaled down, into
docs/screenshots/ for the README. Run the browser tests first (`make test`, or pytest -m browser):

    python scripts/docs_screenshots.py [test-artifacts/screenshots]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "test-artifacts" / "screenshots"
TARGET = ROOT / "docs" / "screenshots"
WIDTH = 720  # pixels in the README; the screenshots are taken at twice the tablet's CSS pixels

# docs name: (journey screenshot, tablet screen height in CSS pixels to keep)
CHOSEN = {
    "on-site-findings.png": ("1-reviewer-09-finding-3-recorded-landscape-sv", 768),
    "unit-responds.png": ("2-unit-keyboard-02-respond-portrait-en", 1024),
    "unit-portal.png": ("2-unit-keyboard-01-start-page-landscape-sv", 768),
    "closer-review.png": ("2-unit-keyboard-09-unit-in-closer-review-landscape-sv", 768),
    "trust-overview.png": ("3-coordinator-02-trust-overview-portrait-en", 1024),
    "follow-up.png": ("4-reminder-link-02-the-follow-up-portrait-en", 1024),
    # Learning (tests/browser/test_learning_journey.py)
    "good-examples-library.png": ("learning-2-other-unit-02-library-search-landscape-sv", 860),
    "good-example.png": ("learning-2-other-unit-03-good-example-portrait-en", 1024),
    "self-assessment-on-site.png": ("learning-3-reviewer-03-on-site-beside-the-self-assessment-landscape-sv", 1100),
    "years-at-a-glance.png": ("learning-3-reviewer-04-years-at-a-glance-landscape-sv", 1120),
}


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    missing = 0
    for name, (stem, height) in CHOSEN.items():
        found = sorted(SOURCE.glob(f"{stem}-*.png"))
        if not found:  # that journey did not run: its picture in docs/ stays as it was
            print(f"missing: {stem}-*.png in {SOURCE}", file=sys.stderr)
            missing += 1
            continue
        with Image.open(found[-1]) as image:
            scale = image.width / (1024 if "landscape" in stem else 768)
            screen = image.crop((0, 0, image.width, min(image.height, int(height * scale))))
            small = screen.resize((WIDTH, round(screen.height * WIDTH / screen.width)), Image.Resampling.LANCZOS)
            small.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(
                TARGET / name, optimize=True
            )
        print(f"{TARGET / name}: {(TARGET / name).stat().st_size // 1024} KB")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
