# scrape - concurrent web scraper.  A plain Makefile: no generator, one
# object per source file, dependencies from -MMD.
#
#   make            build ./scrape (its libraries' -dev packages must be
#                   installed: scripts/deps.sh does it)
#   make demo       install what the demo needs, build scrape and the local
#                   site, crawl the bundled site
#   make test       install what the tests need, build with -Werror, run
#                   the unit and integration tests
#   make test-repeat    the integration suite REPEAT times (default 5),
#                   with BUSY=1 while one core is kept busy; counts failures
#   make mutate     plant known bugs one at a time (scripts/mutate.py) and
#                   check that a test catches each
#   make test-san   the test suite under ASan + UBSan
#   make valgrind   a full crawl of the local site under valgrind
#   make test-pg    a shared run on a throwaway PostgreSQL server, crawled
#                   by nodes in network namespaces (tests/cluster/run.sh)
#   make test-pg-san    the same under ASan + UBSan
#   make bench-cluster  1, 2 and 4 nodes on PostgreSQL vs one on SQLite
#   make tsan       under ThreadSanitizer: --threads, --compare, --procs
#                   with workers killed at random, a shared run, a recrawl
#                   and an extract (scripts/tsan.sh)
#   make fuzz       libFuzzer on URLs, HTML, seeds, CSS, sitemaps and search
#                   queries (FUZZ_SECONDS each)
#   make bench      scrape's figures on an nginx-served site: ceiling vs
#                   curl, I/O- and CPU-bound --compare, targets, 100k scale
#   make bench-peers scrape vs wget, wget2, Scrapy and curl, same site
#   make install / uninstall   the binary and man page under PREFIX
#                   (/usr/local), staged under DESTDIR
#   make format / check-format / lint / check-headers / clean

CC      ?= cc
WERROR  ?= 1
BUILD   ?= build
PKGS     = libcurl libxml-2.0 sqlite3 uchardet libpcre2-8 zlib libmicrohttpd libpq libzstd libcrypto
# The local site and its helpers need only these; the tests Criterion too.
SITEPKGS = libmicrohttpd zlib
TESTPKGS = criterion libmicrohttpd zlib

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla -Wwrite-strings \
       -Wformat=2 -Wpointer-arith
ifeq ($(WERROR),1)
WARN += -Werror
endif

# Lazily expanded on purpose: pkg-config runs after scripts/deps.sh.
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS    = $(shell pkg-config --libs $(PKGS))
SITE_CFLAGS = $(shell pkg-config --cflags $(SITEPKGS))
SITE_LIBS   = $(shell pkg-config --libs $(SITEPKGS))
TEST_CFLAGS = $(shell pkg-config --cflags $(TESTPKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TESTPKGS))

CFLAGS  ?= -g -O2
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(CFLAGS) \
             $(WARN) $(SANFLAGS) -Iinclude $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

SRC      = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ      = $(SRC:%.c=$(BUILD)/%.o)
LIB      = $(BUILD)/libscrape.a
UNIT_SRC = $(wildcard tests/unit/*.c)
INT_SRC  = $(wildcard tests/integration/*.c)
SITE_SRC = tests/site/site.c
SITESRV  = $(BUILD)/sitesrv

.PHONY: all helpers deps demo test test-repeat mutate test-pg test-pg-san bench-cluster test-san test-asan unit integration valgrind tsan fuzz bench bench-peers \
        install uninstall \
        format check-format lint check-headers clean

RAWPEER  = $(BUILD)/rawpeer
SITEGEN  = $(BUILD)/sitegen
FRONTIER_MEM = $(BUILD)/frontier-mem

# `make` builds scrape alone; the local site and the benchmark helpers
# are built by the targets that run them.
all: scrape

helpers: $(SITESRV) $(RAWPEER) $(SITEGEN) $(FRONTIER_MEM)

deps:
	@./scripts/deps.sh test

scrape: $(BUILD)/scrape
	cp $< $@

$(BUILD)/scrape: $(BUILD)/src/main.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(LIB): $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Wno-discarded-qualifiers -Itests -c -o $@ $<

# The local site and its helpers: no Criterion (the demo runs them).
$(BUILD)/tests/site/%.o: tests/site/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SITE_CFLAGS) -Itests -c -o $@ $<

$(BUILD)/tests/bench/%.o: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -c -o $@ $<

SITE_OBJ = $(BUILD)/tests/site/site.o $(BUILD)/tests/site/quotes.o \
           $(BUILD)/tests/site/shop.o $(BUILD)/tests/site/out.o

$(SITESRV): $(BUILD)/tests/site/sitesrv.o $(SITE_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SITE_LIBS) -lpthread

$(SITEGEN): $(BUILD)/tests/site/sitegen.o $(SITE_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SITE_LIBS)

$(FRONTIER_MEM): $(BUILD)/tests/bench/frontier_mem.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(RAWPEER): $(BUILD)/tests/site/rawpeer.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(BUILD)/unit-tests: $(UNIT_SRC:%.c=$(BUILD)/%.o) $(SITE_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

$(BUILD)/integration-tests: $(INT_SRC:%.c=$(BUILD)/%.o) $(SITE_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

demo:
	@./scripts/deps.sh demo
	@$(MAKE) --no-print-directory scrape $(SITESRV)
	@./scripts/demo.sh

# The integration tests run the binary built in $(BUILD) and a site
# server; SCRAPE_BIN/SITESRV_BIN tell them where.  The sanitizer run uses
# the plain server: it is test infrastructure, and an ASan build of it
# aborts when started from Criterion's sandboxed workers.
SITESRV_RUN ?= $(SITESRV)
RAWPEER_RUN ?= $(RAWPEER)
TEST_ENV = SCRAPE_BIN=$(BUILD)/scrape SITESRV_BIN=$(SITESRV_RUN) \
           RAWPEER_BIN=$(RAWPEER_RUN)
CRITERION_FLAGS ?= --jobs 2

test:
	@./scripts/deps.sh test
	@$(MAKE) --no-print-directory WERROR=1 all helpers unit integration

# Flakiness, measured: the integration suite REPEAT times in a row, each
# round's log in $(BUILD)/repeat/; BUSY=1 keeps one core busy meanwhile
# (a loaded machine).  Fails when any round failed.
REPEAT ?= 5
BUSY   ?= 0
test-repeat:
	@./scripts/deps.sh test
	@$(MAKE) --no-print-directory WERROR=1 all helpers $(BUILD)/integration-tests $(WARCIO)
	@$(TEST_ENV) CRITERION_FLAGS="$(CRITERION_FLAGS)" \
	    ./scripts/repeat.sh $(REPEAT) $(BUSY) $(BUILD)/integration-tests $(BUILD)/repeat

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests $(CRITERION_FLAGS)

# warcio.js, the independent WARC reader the integration tests read
# scrape's WARC files back with (npm, pinned by the lock file).
WARCIO = tests/warc/node_modules/warcio/package.json
$(WARCIO): tests/warc/package.json tests/warc/package-lock.json
	cd tests/warc && npm ci --silent --no-audit --no-fund
	@touch $@

integration: $(BUILD)/integration-tests $(BUILD)/scrape $(SITESRV_RUN) $(RAWPEER_RUN) $(WARCIO)
	$(TEST_ENV) $(BUILD)/integration-tests $(CRITERION_FLAGS)

mutate:
	@./scripts/deps.sh test
	@$(MAKE) --no-print-directory $(WARCIO)
	@./scripts/mutate.py

test-pg:
	@./scripts/deps.sh pg
	@$(MAKE) --no-print-directory all helpers
	SCRAPE_BIN=$(BUILD)/scrape SITESRV_BIN=$(SITESRV) tests/cluster/run.sh

# The same under ASan + UBSan (leaks included).
test-pg-san:
	@./scripts/deps.sh pg
	@$(MAKE) --no-print-directory $(SITESRV)
	@$(MAKE) --no-print-directory BUILD=build/san \
	    CFLAGS="-g -O1 -fno-omit-frame-pointer" \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    build/san/scrape
	SCRAPE_BIN=build/san/scrape SITESRV_BIN=$(SITESRV) tests/cluster/run.sh

bench-cluster:
	@./scripts/deps.sh bench
	@$(MAKE) --no-print-directory all helpers
	SCRAPE_BIN=$(BUILD)/scrape SITESRV_BIN=$(SITESRV) tests/bench/cluster.sh

test-san:
	@./scripts/deps.sh test
	@$(MAKE) --no-print-directory $(SITESRV) $(RAWPEER)
	@$(MAKE) --no-print-directory BUILD=build/san SITESRV_RUN=$(SITESRV) \
	    RAWPEER_RUN=$(RAWPEER) \
	    CFLAGS="-g -O1 -fno-omit-frame-pointer" \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    unit integration

# The name other projects use.
test-asan: test-san

valgrind:
	@./scripts/deps.sh test
	@$(MAKE) --no-print-directory all helpers
	@./scripts/valgrind.sh

# libFuzzer targets: the library rebuilt with clang and sanitizers.
FUZZ_TARGETS = url parse seeds css sitemap ftsq
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined

fuzz:
	@./scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory CC=clang BUILD=build/fuzz \
	    CFLAGS="-g -O1" SANFLAGS="$(FUZZ_FLAGS)" \
	    $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@./scripts/fuzz.sh

$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

tsan:
	@./scripts/deps.sh pg
	@$(MAKE) --no-print-directory $(SITESRV)
	@$(MAKE) --no-print-directory BUILD=build/tsan CFLAGS="-g -O1" \
	    SANFLAGS="-fsanitize=thread" build/tsan/scrape
	@./scripts/tsan.sh

bench:
	@./scripts/deps.sh bench
	@$(MAKE) --no-print-directory all helpers
	@./scripts/bench.sh

bench-peers:
	@./scripts/deps.sh peers
	@$(MAKE) --no-print-directory all helpers
	@./scripts/bench-peers.sh

FORMAT_FILES = $(wildcard src/*.c include/scrape/*.h tests/*/*.c tests/*/*.h)

format:
	clang-format -i $(FORMAT_FILES)

check-format:
	clang-format --dry-run --Werror $(FORMAT_FILES)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --std=c11 -Iinclude --suppress=missingIncludeSystem src tests/site

check-headers:
	@for h in include/scrape/*.h; do \
	    echo "#include \"scrape/$${h##*/}\"" | \
	    $(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -x c -fsyntax-only - || exit 1; \
	done; echo "headers: each compiles alone"

# Install like a Unix tool: the binary and its man page under PREFIX
# (staged under DESTDIR when packaging).
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
MAN1DIR  = $(PREFIX)/share/man/man1

install: scrape
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR)
	install -m 755 scrape $(DESTDIR)$(BINDIR)/scrape
	install -m 644 docs/scrape.1 $(DESTDIR)$(MAN1DIR)/scrape.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/scrape $(DESTDIR)$(MAN1DIR)/scrape.1

clean:
	rm -rf build scrape

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
