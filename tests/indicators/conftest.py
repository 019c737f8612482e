import os

# the extractor logs and skips a page it cannot read; under test, a bug must fail loudly
os.environ.setdefault("KEJIWATCH_EXTRACT_STRICT", "1")
