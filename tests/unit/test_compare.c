/* Unit tests for compare.c's arithmetic: the order of the engines in
 * each round and the median. */
#include <criterion/criterion.h>
#include <string.h>

#include "scrape/compare.h"

/* Over three rounds each engine runs first, second and last once. */
Test(compare, rounds_rotate_the_order)
{
    static const char *const want[3][3] = {{"threads", "multi", "procs"},
                                           {"multi", "procs", "threads"},
                                           {"procs", "threads", "multi"}};
    long r;
    int k;

    for (r = 0; r < 6; r++)
        for (k = 0; k < 3; k++)
            cr_assert_str_eq(compare_engine(r, k), want[r % 3][k],
                             "round %ld position %d", r, k);
}

Test(compare, median_of_odd_and_even_counts)
{
    double one[] = {4.0};
    double odd[] = {9.0, 1.0, 5.0, 7.0, 3.0};
    double even[] = {10.0, 2.0, 8.0, 4.0};
    double same[] = {2.5, 2.5, 2.5};

    cr_assert_float_eq(compare_median(one, 1), 4.0, 1e-9);
    cr_assert_float_eq(compare_median(odd, 5), 5.0, 1e-9);
    /* Sorted in place: the spread is the last minus the first. */
    cr_assert_float_eq(odd[0], 1.0, 1e-9);
    cr_assert_float_eq(odd[4], 9.0, 1e-9);
    cr_assert_float_eq(compare_median(even, 4), 6.0, 1e-9);
    cr_assert_float_eq(compare_median(same, 3), 2.5, 1e-9);
}
