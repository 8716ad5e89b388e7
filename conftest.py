"""Loaded for every test path, the notebooks too."""

import os

# Lessons and labs run unattended under nbval: a collapsed cell may then stand in
# for what a learner types (a manifest they write). A learner's kernel never has it.
os.environ.setdefault("KUBELAB_NBVAL", "1")

# Saved outputs are English; a machine whose locale is Korean must still compare them.
# A test of the Korean messages sets KUBELAB_LANG=ko itself.
os.environ["KUBELAB_LANG"] = "en"
