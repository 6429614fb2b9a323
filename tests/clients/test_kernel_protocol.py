"""jupyter_kernel_test's conformance tests, run against the tabula kernel
with a code sample for each message the kernel supports: kernel_info,
execute (stdout, execute_result, display_data, error), completion,
inspection, is_complete, history.

Samples not given here, so that their tests skip, because the kernel does
not do them yet: code_page_something (pager payloads), code_stderr
(print to stderr), code_clear_output (clear_output()), code_input
(input() over stdin)."""
import unittest

import jupyter_kernel_test

from conftest import KERNEL_NAME


class TabulaKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "tabula"
    file_extension = ".tq"

    code_hello_world = "print('hello, world')"

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'tab' + 'ula'", "result": "'tabula'"},
        {"code": "%sql SELECT 1 AS one", "mime": "text/html"},
    ]

    code_display_data = [
        {"code": "display(1)", "mime": "text/plain"},
        {"code": "%demo bikes --rentals 100\n"
                 "display(Rental.objects.all()[:3]"
                 ".plot.bar(x='id', y='total_fee'))",
         "mime": "image/png"},
    ]

    code_generate_error = "1 / 0"

    completion_samples = [
        {"text": "pri", "matches": {"print"}},
        {"text": "%dem", "matches": {"%demo"}},
    ]

    code_inspect_sample = "Sum"

    complete_code_samples = [
        "1 + 1",
        "x = 3",
        "for b in [1, 2]:\n    print(b)\n",
        "%sql SELECT 1",
    ]
    incomplete_code_samples = [
        "for b in [1, 2]:",
        "(1 +",
        "x = [1,",
    ]
    invalid_code_samples = [
        "1 +* 2)",
    ]

    code_history_pattern = "6 ?*"
    supported_history_operations = ("tail", "range", "search")


if __name__ == "__main__":
    unittest.main()
