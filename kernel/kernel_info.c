/*
 * This file writes kernel_info_reply's content: the protocol version, the
 * implementation, the language's info from tabula.h, the banner and the
 * help links. It calls nothing else in the kernel, so the shell and the
 * control thread both use it.
 */
#include "kernel_info.h"
#include "message.h"

#include <tabula.h>

/* See kernel_info.h. */
json_t *kn_kernel_info_content(void)
{
    return json_pack(
        "{ss ss ss ss s{ss ss ss ss ss ss ss} ss s[{ssss}{ssss}] sb}",
        "status", "ok",
        "protocol_version", KN_PROTOCOL_VERSION,
        "implementation", KN_IMPLEMENTATION,
        "implementation_version", KN_IMPLEMENTATION_VERSION,
        "language_info",
            "name", TQ_LANGUAGE_NAME,
            "version", TQ_LANGUAGE_VERSION,
            "mimetype", TQ_MIMETYPE,
            "file_extension", TQ_FILE_EXTENSION,
            "pygments_lexer", "python",
            "codemirror_mode", "python",
            "nbconvert_exporter", "script",
        "banner", "Tabula " KN_IMPLEMENTATION_VERSION
                  ": Python-flavoured table queries over SQLite\n",
        "help_links",
            "text", "SQLite SQL", "url", "https://www.sqlite.org/lang.html",
            "text", "Jupyter", "url", "https://docs.jupyter.org/",
        "debugger", 0);
}
