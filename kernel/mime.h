/*
 * This file declares the conversion of the language's MIME bundles into
 * the `data` and `metadata` objects of execute_result and display_data
 * messages.
 */
#ifndef KN_MIME_H
#define KN_MIME_H

#include <jansson.h>
#include <tabula.h>

/* Returns a new JSON object mapping each MIME type to its value: text as a
 * string, JSON types as parsed JSON, binary types base64-encoded. */
json_t *kn_bundle_json(const tq_bundle_t *bundle);

/* Returns a new JSON object: the bundle's metadata (its TQ_BUNDLE_METADATA
 * representation, which kn_bundle_json leaves out), or {} without one. */
json_t *kn_bundle_metadata(const tq_bundle_t *bundle);

#endif
