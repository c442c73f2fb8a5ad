"""zipline's own portal tests on rustybt's shim (tests/compat/zipline/upstream/).

The vendored modules need ``zipline.testing``, which imports packages of zipline's ``test``
extra (``parameterized``, ``testfixtures``, ``responses``): rustybt's dev extra installs them.
"""
