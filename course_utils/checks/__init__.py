"""Exercise checks: run a student's function on small hand-made inputs and explain mistakes.

Every exercise cell is followed by a check cell, ``checks.check_<exercise>(student_function)``.
A check tests *properties* (shapes are ``(B, 1)``, terminal transitions get no bootstrap, no
gradient reaches the target network, ...) on tiny seeded networks and batches, so any
correct implementation passes, not only the reference one. It either prints one success
line or raises :class:`ExerciseFailure` (an ``AssertionError``) that says which property
failed, what was expected, what came back, the likely cause and a hint.
``checks.set_language("ko")`` shows the messages in Korean, ``"en"`` in English again.
A new check is written with :mod:`course_utils.checks.harness` (its docstring shows how);
``all N properties hold`` counts the properties the check recorded as it verified them.

Checks run on the CPU and are safe from the student's code (``_guard``):

- **Time limit.** Every check must finish within ``TIME_LIMIT_S`` = 120 s, or it fails with a
  diagnosis that names the exercise and the limit (English and Korean). Correct code takes at
  most about 1.1 s per check on a 2-core machine at a load of 1 and 17.5 s at a load average
  of 13 (dqn_episode, then replay_memory and epsilon_greedy_policy, are the slowest), so the
  limit leaves a margin of 7 even on a crowded shared CPU such as Binder's. It uses ``signal.setitimer``/``SIGALRM`` in the main thread, where
  Jupyter, nbclient (the autograder) and ``python`` run cells: the student's loop is
  interrupted where it runs, no thread is killed and the kernel lives on; the check's own
  code is never interrupted half-way. Where that is impossible (Windows, a check called from
  another thread) the check runs without a limit; interrupting the kernel still stops it.
- **Global state.** Torch's, Python's and NumPy's random generators, the default dtype,
  torch's thread count and grad mode are restored after every check, whatever the student's
  code did; a function that changes its input tensors in place is told so at once.
- **One bug, one exercise.** A check whose exercise calls an earlier one runs it with the
  earlier exercise's reference (4.2 with 4.1's ``dqn_targets``, 4.3 with 4.2's ``dqn_update``).
- **References.** Given an implementation from :mod:`course_utils.reference` (or a function
  that only calls one), a check prints a notice that the exercise counts as not done and does
  not raise, so the rest of the notebook runs; with ``COURSE_UTILS_GRADING=1`` (the
  autograder) it raises ExerciseFailure.

>>> import torch
>>> from course_utils import checks
>>> def select_q_values(q_values_b, action_b):
...     return q_values_b.gather(1, action_b)
>>> checks.check_select_q_values(select_q_values)
✅ select_q_values: all 7 properties hold.
>>> def select_q_values(q_values_b, action_b):
...     return q_values_b.max(dim=1, keepdim=True).values
>>> checks.check_select_q_values(select_q_values)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
course_utils.checks.ExerciseFailure: ...
❌ select_q_values: Q-values of the actions taken -- failed.
...
"""

from course_utils.checks._i18n import get_language, set_language
from course_utils.checks._inputs import GAMMA as GAMMA
from course_utils.checks._inputs import N_ACTIONS as N_ACTIONS
from course_utils.checks._inputs import STATE_DIM as STATE_DIM
from course_utils.checks._inputs import B as B
from course_utils.checks.beyond import (
    check_conv_q_network,
    check_dueling_q_values,
    check_n_step_targets,
    check_prioritized_sample,
)
from course_utils.checks.harness import ExerciseFailure
from course_utils.checks.loss import check_q_loss
from course_utils.checks.neural_networks import check_gradient_descent_step, check_linear_layer
from course_utils.checks.policies import check_epsilon_greedy_policy
from course_utils.checks.pytorch_idioms import check_select_q_values, check_training_step
from course_utils.checks.replay_memory import check_replay_memory
from course_utils.checks.target_networks import (
    check_make_target_network,
    check_update_target_network,
)
from course_utils.checks.targets import (
    check_double_dqn_targets,
    check_dqn_targets,
    check_sarsa_targets,
)
from course_utils.checks.training_loop import check_dqn_episode
from course_utils.checks.update_step import check_dqn_update

__all__ = [
    "ExerciseFailure",
    "set_language",
    "get_language",
    "check_linear_layer",
    "check_gradient_descent_step",
    "check_select_q_values",
    "check_training_step",
    "check_replay_memory",
    "check_epsilon_greedy_policy",
    "check_make_target_network",
    "check_update_target_network",
    "check_sarsa_targets",
    "check_dqn_targets",
    "check_dqn_update",
    "check_dqn_episode",
    "check_q_loss",
    "check_double_dqn_targets",
    "check_n_step_targets",
    "check_dueling_q_values",
    "check_prioritized_sample",
    "check_conv_q_network",
]
