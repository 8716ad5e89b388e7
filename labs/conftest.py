"""pytest under labs/: the notebooks (nbval) only. A lab's start and solution files
(an app.py, a Dockerfile's context) and the learner's work folder are not test modules."""

collect_ignore_glob = ["*/start/*", "*/solution/*", "work/*"]
