"""``python -m fuserec.cli``."""

from fuserec.cli import main

if __name__ == "__main__":
    main()
