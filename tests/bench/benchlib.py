"""This file holds what the Python benchmarks that drive a real Tabula
kernel share (pg_bench.py, display_bench.py): a kernel started through
jupyter_client whose displayed cells are timed from execute_request to
iopub idle, and the way a duration is printed. Figures, never pass/fail.
"""
import json
import os
import time


def fmt(sec):
    """A duration for a table: "1.234 s", "12.3 ms", or "error" for None."""
    if sec is None:
        return "error"
    return "%.3f s" % sec if sec >= 0.1 else "%.1f ms" % (sec * 1e3)


class Kernel:
    """A tabula kernel (`binary` with `args` after its connection file),
    driven by jupyter_client, its kernel spec `name` written under `root`
    (which the caller owns); `env` is the kernel's environment (None: this
    process's). close() stops it."""

    def __init__(self, binary, args, root, name, display_name, env=None,
                 ready_timeout=60):
        from jupyter_client import KernelManager
        spec = os.path.join(root, "kernels", name)
        os.makedirs(spec, exist_ok=True)
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": [os.path.abspath(binary), "-f",
                                "{connection_file}"] + list(args),
                       "display_name": display_name,
                       "language": "tabula"}, f)
        os.environ["JUPYTER_PATH"] = root
        self.km = KernelManager(kernel_name=name)
        if env is None:
            self.km.start_kernel()
        else:
            self.km.start_kernel(env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=ready_timeout)
        self.cell("1")

    def cell(self, code):
        """Seconds from execute_request to iopub idle, the bytes of the
        displayed result, and the error text (None when none)."""
        t0 = time.perf_counter()
        msg_id = self.kc.execute(code)
        size, error = 0, None
        while True:
            m = self.kc.get_iopub_msg(timeout=3600)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["content"].get("transient", {}).get(
                    "display_id", "").startswith("tabula-progress-"):
                continue              # the progress indicator, not a result
            if m["msg_type"] in ("execute_result", "display_data"):
                size += sum(len(v) for v in m["content"]["data"].values())
            if m["msg_type"] == "error":
                error = "%s: %s" % (m["content"]["ename"],
                                    m["content"]["evalue"])
            if (m["msg_type"] == "status"
                    and m["content"]["execution_state"] == "idle"):
                break
        return time.perf_counter() - t0, size, error

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
