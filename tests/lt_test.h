/* Check under MPI: the harness initialises MPI, runs the suite without fork
 * (a forked child is not an MPI process), and agrees the failure count
 * across ranks so that all ranks pass or fail together.
 *
 * A failing ck_assert before a collective would leave other ranks waiting:
 * do the collectives first, then assert on an agreed condition
 * (LT_ASSERT_ALL). */
#ifndef LT_TEST_H
#define LT_TEST_H

#include <check.h>
#include <stdio.h>
#include "latent/lt_comm.h"
#include "latent/lt_error.h"

/* The communicator of the running test program (valid inside test cases). */
lt_comm *lt_test_comm(void);
/* Runs the suite made by `make` and returns the process exit code. */
int lt_test_main(Suite *(*make)(void), int argc, char **argv);
/* A path unique to this program, rank count and name, in $LT_TMP (or /tmp). */
const char *lt_test_path(char *buf, size_t cap, const char *name);
/* Fixture path: $LT_FIXTURES/name. */
const char *lt_test_fixture(char *buf, size_t cap, const char *name);
/* Records that tests were left out of the suite (call from the suite's
 * make function, instead of adding them): the program then exits with
 * LT_TEST_SKIPPED if nothing failed, which CTest reports as skipped
 * (SKIP_RETURN_CODE), so a summary never counts what did not run. */
#define LT_TEST_SKIPPED 77
void lt_test_skip(int ntests, const char *why);
/* Zeroes the harness's timer, attaches it to lt_test_comm() and returns it:
 * the events of what the test runs next are recorded there (library code
 * finds it with lt_comm_timer). It stays attached and lives as long as the
 * program, so a failing assertion leaves no dangling timer behind. */
const lt_timer *lt_test_timer(void);
/* 1 on every rank iff cond is true on every rank (collective). */
int lt_test_all(int cond);

/* 1 in an AddressSanitizer build (the asan preset; GCC and clang), where
 * code runs some 10 times slower: a test may run a smaller case there when
 * the release build runs and checks the full one (say so where it does). */
#if defined(__SANITIZE_ADDRESS__)
#define LT_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LT_TEST_SANITIZED 1
#endif
#endif
#ifndef LT_TEST_SANITIZED
#define LT_TEST_SANITIZED 0
#endif

#define LT_ASSERT_ALL(cond) ck_assert_msg(lt_test_all(cond), "failed on some rank: %s", #cond)
/* Asserts an lt_status call succeeded, printing the error record if not. */
#define LT_ASSERT_OK(expr)                                                         \
    do {                                                                           \
        lt_status s_ = (expr);                                                     \
        ck_assert_msg(s_ == LT_OK, "%s -> %s: %s\n%s", #expr, lt_status_name(s_),   \
                      lt_error_message(), lt_error_traceback());                   \
    } while (0)

#endif
