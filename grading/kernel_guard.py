"""Start an IPython kernel for autograding, with limits and a tamper guard.

This file runs as a script inside the grading kernel (inside the sandbox when
there is one), so it imports nothing from the kit.  Before any student code
runs it:

0. copies the submission's files into its working folder when the sandbox
   hands them over read-only (``GC_GRADER_SEED``, see ``sandbox.wrap``);
1. sets resource limits (address space, CPU seconds, file size, and processes
   when the grader asks), so a memory bomb ends in a MemoryError or a dead
   kernel instead of a dead machine;
2. imports numpy and the course's helper modules from the notebook's own
   folder, then records the attributes of those modules, of ``builtins`` and
   of ``math``, and the code of their functions;
3. installs a restore function in ``builtins`` under a random name that the
   grader passes in a file it deletes at once.  The grader calls it before each
   test cell: anything a solution cell replaced (``np.isclose = lambda *a: True``,
   ``builtins.abs = ...``, ``np.linalg.norm.__code__ = ...``) is put back, and
   the names are reported so the instructor sees who tried.

This is not a security boundary (code in the same process can always undo
it); the sandbox is.  It makes the hidden tests run against real numpy.

Usage: python kernel_guard.py TOKEN_FILE ipykernel-arguments...
Limits come from GC_GRADER_LIMIT_AS / _CPU / _FSIZE / _NPROC (bytes, seconds,
bytes, processes), helper modules from GC_GRADER_PRELOAD (comma-separated names).
"""

import builtins
import gc
import importlib
import os
import shutil
import sys
import traceback
import types

# Names IPython itself rebinds in builtins while it runs cells.
IPYTHON_BUILTINS = {"_", "__", "___", "get_ipython", "exit", "quit", "display",
                    "__IPYTHON__", "__IPYTHON__active", "__builtins__"}
ALWAYS_GUARDED = ("builtins", "math", "cmath", "operator", "numbers", "numpy")


def copy_seed():
    """Copy the files the sandbox bound read-only into the (writable, size-capped)
    working folder; links are copied as links, never followed."""
    seed = os.environ.pop("GC_GRADER_SEED", "")
    if not seed or not os.path.isdir(seed):
        return
    for name in sorted(os.listdir(seed)):
        source = os.path.join(seed, name)
        try:
            if os.path.isdir(source) and not os.path.islink(source):
                shutil.copytree(source, name, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy(source, name, follow_symlinks=False)
        except OSError as error:
            print(f"[grading] {name} not copied into the kernel's folder: {error}", file=sys.stderr)


# Landlock (Linux 5.13+): the file-system rights a process can give up for good.
_LANDLOCK_WRITES = {1: 0b1_1111_1111_0010,          # write, remove, make anything (ABI 1)
                    2: 0b11_1111_1111_0010,         # ... and move across folders (REFER)
                    3: 0b111_1111_1111_0010}        # ... and truncate


_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446    # the same on every architecture


def landlock_abi():
    """The Landlock version this kernel offers, 0 when it has none."""
    import ctypes

    if not sys.platform.startswith("linux"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    return max(0, libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))


def confine_writes(folders):
    """From now on, write only beneath ``folders`` (its working folder, /tmp, /dev):
    the folder of its sockets, the one place outside its capped tmpfs bubblewrap
    must leave writable, is closed once the sockets exist.  Where Landlock is
    missing, nothing changes (grading as root, the grader closes that folder itself)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    abi = landlock_abi()
    if abi < 1:
        return False
    rights = _LANDLOCK_WRITES[min(abi, 3)]
    attr = ctypes.c_uint64(rights)
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        for folder in folders:
            fd = os.open(folder, os.O_PATH | os.O_CLOEXEC)
            try:
                beneath = (ctypes.c_char * 12).from_buffer_copy(   # struct landlock_path_beneath_attr
                    rights.to_bytes(8, sys.byteorder) + fd.to_bytes(4, sys.byteorder, signed=True))
                if libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(1), beneath,
                                ctypes.c_uint32(0)) != 0:
                    return False     # restricting now would forbid writes where they belong
            finally:
                os.close(fd)
        libc.prctl(38, 1, 0, 0, 0)     # PR_SET_NO_NEW_PRIVS, which Landlock asks for
        return libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) == 0
    finally:
        os.close(ruleset)


def set_limits():
    import resource

    for env, limit in (("GC_GRADER_LIMIT_AS", resource.RLIMIT_AS),
                       ("GC_GRADER_LIMIT_CPU", resource.RLIMIT_CPU),
                       ("GC_GRADER_LIMIT_FSIZE", resource.RLIMIT_FSIZE),
                       ("GC_GRADER_LIMIT_NPROC", resource.RLIMIT_NPROC)):
        value = int(os.environ.pop(env, "0") or 0)
        if value > 0:
            resource.setrlimit(limit, (value, value))


def import_clean(names):
    """Import ``names`` with the notebook folder off sys.path first for
    library modules, so a submitted ``numpy.py`` cannot stand in for numpy;
    the course helpers are imported from the folder on purpose."""
    here = os.getcwd()
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if p not in ("", here)]
    try:
        for name in ALWAYS_GUARDED:
            importlib.import_module(name)
    finally:
        sys.path[:] = saved
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a helper that fails here fails visibly in the notebook
            pass


def guarded_modules(helpers):
    names = set(ALWAYS_GUARDED) | set(helpers)
    names |= {name for name in sys.modules if name.startswith("numpy.")}
    return {name: sys.modules[name] for name in sorted(names) if name in sys.modules}


def snapshot(modules):
    state = {}
    for name, module in modules.items():
        attrs = dict(vars(module))
        code = {key: (value.__code__, value.__defaults__, value.__kwdefaults__)
                for key, value in attrs.items() if isinstance(value, types.FunctionType)}
        state[name] = (module, attrs, code)
    return state


def release_last_error():
    """Drop the locals of the frames the last error's traceback keeps alive
    (``sys.last_traceback`` and IPython's last execution result)."""
    errors = [getattr(sys, "last_value", None), getattr(sys, "last_exc", None)]
    try:
        from IPython import get_ipython

        result = getattr(get_ipython(), "last_execution_result", None)
        errors.append(getattr(result, "error_in_exec", None))
    except ImportError:
        pass
    for error in errors:
        if isinstance(error, BaseException) and error.__traceback__ is not None:
            traceback.clear_frames(error.__traceback__)
            frame_tb = error.__traceback__
            while frame_tb is not None:
                # Reading f_locals again syncs the dict snapshot that formatting the
                # traceback made, which clear() leaves holding the old locals.
                frame_tb.tb_frame.f_locals  # noqa: B018
                frame_tb = frame_tb.tb_next
    sys.last_type = sys.last_value = sys.last_traceback = None
    gc.collect()


def make_restore(state):
    def restore():
        # The last error's traceback keeps its frames alive: after a memory bomb
        # that is all the memory there is, and the next test would fail for it.
        release_last_error()
        changed = []
        for name, (module, attrs, code) in state.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules[{name!r}]")
            current = vars(module)
            for key, value in attrs.items():
                if name == "builtins" and key in IPYTHON_BUILTINS:
                    continue
                if current.get(key, restore) is not value:
                    setattr(module, key, value)
                    changed.append(f"{name}.{key}")
            for key, (func_code, defaults, kwdefaults) in code.items():
                func = attrs[key]
                if (func.__code__ is not func_code or func.__defaults__ is not defaults
                        or func.__kwdefaults__ is not kwdefaults):
                    func.__code__, func.__defaults__ = func_code, defaults
                    func.__kwdefaults__ = kwdefaults
                    changed.append(f"{name}.{key}.__code__")
        return changed
    return restore


def main(argv):
    token_file, kernel_args = argv[1], argv[2:]
    with open(token_file) as handle:
        token = handle.read().strip()
    os.unlink(token_file)

    # Run as a script, sys.path[0] is this file's folder: put the notebook's
    # folder there instead, as `python -m ipykernel_launcher` would.
    sys.path[0] = os.getcwd()
    copy_seed()
    set_limits()
    helpers = [name for name in os.environ.pop("GC_GRADER_PRELOAD", "").split(",") if name]
    import_clean(helpers)
    restore = make_restore(snapshot(guarded_modules(helpers)))
    setattr(builtins, token, restore)

    from ipykernel.kernelapp import IPKernelApp

    # restore() collects garbage before every test cell.  Everything alive now
    # (numpy, IPython, the helpers: some 40,000 objects) lives as long as the
    # kernel, so move it out of the collector's way: each collection then
    # scans only what the notebook made, and takes microseconds, not tens of
    # milliseconds.  What the notebook makes is collected exactly as before.
    gc.freeze()
    sys.argv = [sys.argv[0], *kernel_args]
    app = IPKernelApp.instance()
    app.initialize(kernel_args)       # binds the sockets
    writable = os.environ.pop("GC_GRADER_WRITABLE", "")
    if writable:
        confine_writes(writable.split(os.pathsep))
    app.start()


if __name__ == "__main__":
    main(sys.argv)
