"""The maintainers' tools: they build, check and run the course, and students never import them.

Run from the repository root (the Makefile does), e.g. ``python -m tools.student_notebooks``.
They need the ``dev`` extra (nbformat, nbconvert, nbclient); the installed package
``course_utils`` does not.
"""
