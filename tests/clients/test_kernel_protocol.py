"""jupyter_kernel_test's conformance tests, run against the tabula kernel
with a code sample for each message: kernel_info, execute (stdout, stderr,
execute_result, display_data, error, clear_output, the pager payload),
completion, inspection, is_complete, history. (jupyter_kernel_test 0.7
has no test for input() over stdin; tests/protocol covers it.)"""
import unittest

import jupyter_kernel_test

from conftest import KERNEL_NAME


class TabulaKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "tabula"
    file_extension = ".tq"

    code_hello_world = "print('hello, world')"
    code_stderr = "print('oops', file=stderr)"
    code_page_something = "print?"
    code_clear_output = "print('a')\nclear_output()"

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
