"""``python -m maillage``: the ``maillage`` command, for a machine where its script is not
on the ``PATH``."""

from maillage.cli.main import main

if __name__ == "__main__":
    main()
