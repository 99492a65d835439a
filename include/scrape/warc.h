/*
 * warc.h - a run's stored responses as a WARC/1.1 file (ISO 28500:2017),
 * for archives and replay tools.
 */
#ifndef SCRAPE_WARC_H
#define SCRAPE_WARC_H

#include <stdint.h>
#include <stdio.h>

#include "scrape/err.h"
#include "scrape/query.h"

/* Writes run `run_id`'s kept responses (--keep-bodies) to `out` as a
 * gzipped WARC: a warcinfo record, then per page a request record (its
 * GET as scrape sent it, minus headers libcurl adds) and a response
 * record (the status line and headers as received, the body as stored:
 * decompressed, so Content-Encoding and Transfer-Encoding are dropped and
 * Content-Length is the body's), each record a gzip member of its own,
 * with WARC-Target-URI, WARC-Date, WARC-Payload-Digest and
 * WARC-Block-Digest (sha256, base32).  A body that cannot be read is
 * skipped and counted on stderr.  ERR_INVALID when the run kept no
 * bodies. */
enum err query_export_warc(struct query *q, int64_t run_id, FILE *out);

#endif
