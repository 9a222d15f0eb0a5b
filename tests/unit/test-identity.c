/* Tests of the identity-number rules (core/ph-identity.c): GB 11643 citizen ID incl. the
 * 15 -> 18 conversion and consistency with AAC006/AAC004, GB 32100 credit code, Luhn. */
#include <glib.h>
#include <string.h>

#include "ph-error.h"
#include "ph-identity.h"

typedef struct {
	const gchar *value;
	gboolean valid;
	const gchar *reason; /* a part of the error message, or NULL */
	const gchar *source; /* where the expected verdict comes from */
} Case;

static void
test_citizen_id(void)
{
	static const Case cases[] = {
	        {"11010519491231002X", TRUE, NULL, "GB 11643 example in STANDARDS.md"},
	        {"110105196410150037", TRUE, NULL, "formats/personnel.md example"},
	        {"110105194912310021", FALSE, "'110105********0021' has a wrong check character",
	         "the example with its check char changed"},
	        {"11010519491231002x", FALSE, "upper-case X", "the check char is an upper-case X"},
	        {"1101051949123100", FALSE, "not 18", "too short"},
	        {"11010519490230002X", FALSE, "invalid birth date", "30 February"},
	        {"99010519491231002X", FALSE, "unknown province", "99 is no GB/T 2260 province"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		gboolean valid = ph_identity_check_citizen_id(cases[i].value, &error);

		g_test_message("%s: %s", cases[i].value, cases[i].source);
		g_assert_cmpint(valid, ==, cases[i].valid);
		if (cases[i].valid) {
			g_assert_no_error(error);
			continue;
		}
		g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
		g_assert_nonnull(strstr(error->message, cases[i].reason));
	}
}

static void
test_check_char(void)
{
	/* ISO 7064 MOD 11-2 by hand for 11010519491231002: S = 167, 167 mod 11 = 2 -> 'X'. */
	g_assert_cmpint(ph_identity_citizen_id_check_char("11010519491231002"), ==, 'X');
	g_assert_cmpint(ph_identity_citizen_id_check_char("11010519641015003"), ==, '7');
	g_assert_cmpint(ph_identity_citizen_id_check_char("1101051964101500A"), ==, 0);
}

static void
test_upgrade(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *upgraded = ph_identity_citizen_id_upgrade("110105491231002", &error);
	g_autofree gchar *bad = NULL;

	/* "19" inserted before 491231, check char recomputed: the STANDARDS.md example. */
	g_assert_no_error(error);
	g_assert_cmpstr(upgraded, ==, "11010519491231002X");
	bad = ph_identity_citizen_id_upgrade("11010549123100", &error);
	g_assert_null(bad);
	g_assert_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT);
	g_clear_error(&error);
	bad = ph_identity_citizen_id_upgrade("110105490231002", &error);
	g_assert_null(bad);
	g_assert_nonnull(strstr(error->message, "invalid birth date"));
}

static void
test_person_consistency(void)
{
	g_autoptr(GError) error = NULL;

	/* Sequence 002 is even: female (AAC004 2), born 1949-12-31. */
	g_assert_true(
	        ph_identity_check_citizen_id_person("11010519491231002X", "19491231", "2", &error));
	g_assert_no_error(error);
	g_assert_false(
	        ph_identity_check_citizen_id_person("11010519491231002X", "19491231", "1", &error));
	g_assert_nonnull(strstr(error->message, "AAC004 is 1"));
	g_clear_error(&error);
	g_assert_false(ph_identity_check_citizen_id_person("11010519491231002X", "19491230", NULL,
	                                                   &error));
	g_assert_nonnull(strstr(error->message, "AAC006 19491230"));
	/* messages name the number masked only (docs/security.md, "Logs") */
	g_assert_null(strstr(error->message, "11010519491231002X"));
	g_clear_error(&error);
	/* 9 (未说明的性别) says nothing the number could contradict. */
	g_assert_true(ph_identity_check_citizen_id_person("11010519491231002X", "", "9", &error));
	g_assert_no_error(error);
}

static void
test_uscc(void)
{
	static const Case cases[] = {
	        {"91350100M000100Y43", TRUE, NULL, "GB 32100—2015 example"},
	        {"91350100M000100Y44", FALSE, "expected 3",
	         "the example with its check char changed"},
	        {"91350100M000100I43", FALSE, "alphabet", "I is not in the GB 32100 alphabet"},
	        {"9135A100M000100Y43", FALSE, "region code", "region must be digits"},
	        {"91350100M000100Y4", FALSE, "not 18", "too short"},
	        {"91350中M000100Y43", FALSE, "a byte that is not ASCII at position 6",
	         "18 bytes, one character of three: named without cutting it"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;

		g_test_message("%s: %s", cases[i].value, cases[i].source);
		g_assert_cmpint(ph_identity_check_uscc(cases[i].value, &error), ==, cases[i].valid);
		if (!cases[i].valid) {
			g_assert_nonnull(strstr(error->message, cases[i].reason));
			g_assert_true(g_utf8_validate(error->message, -1, NULL));
		}
	}
}

static void
test_luhn(void)
{
	static const Case cases[] = {
	        {"79927398713", TRUE, NULL, "the textbook Luhn example"},
	        {"4111111111111111", TRUE, NULL, "the well-known test card number"},
	        {"79927398710", FALSE, "Luhn", "the textbook example with its check digit changed"},
	        {"6222-0202", FALSE, "digits", "not digits only"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;

		g_test_message("%s: %s", cases[i].value, cases[i].source);
		g_assert_cmpint(ph_identity_check_luhn(cases[i].value, &error), ==, cases[i].valid);
		if (!cases[i].valid) {
			g_assert_nonnull(strstr(error->message, cases[i].reason));
			/* an account number: shown masked, only its last four (docs/security.md) */
			g_assert_null(strstr(error->message, cases[i].value));
		}
	}
}

/* The one masking helper (docs/security.md, "Logs"): six and four characters kept. */
static void
test_mask(void)
{
	static const struct {
		const gchar *number;
		const gchar *masked;
	} cases[] = {
	        {"11010519491231002X", "110105********002X"}, /* 18-character citizen ID */
	        {"110105491231002", "110105*****1002"},       /* 15-character old form */
	        {"123456789", "****"},                        /* too short to show any part */
	        {NULL, "****"},
	        /* hostile: characters are kept or masked whole, never cut into bytes */
	        {"11110中1234567890", "11110中******7890"},
	        {"1101051949123\xe4\xb8" "002X", "****"}, /* not UTF-8: nothing shown */
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *masked = ph_identity_mask(cases[i].number);
		g_assert_cmpstr(masked, ==, cases[i].masked);
		g_assert_true(g_utf8_validate(masked, -1, NULL));
	}
}

/* Account numbers (AAE010, issue 9 §3): only the last four kept, whatever the length. */
static void
test_mask_account(void)
{
	static const struct {
		const gchar *account;
		const gchar *masked;
	} cases[] = {
	        {"6222020200112233445", "***************3445"}, /* 19-digit card account */
	        {"6013820000000000007", "***************0007"}, /* test-bank's boc account */
	        {"12345678", "****5678"},                       /* 8: the shortest shown */
	        {"1234567", "****"},                            /* 7: four of seven would show */
	        {"", "****"},
	        {NULL, "****"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *masked = ph_identity_mask_account(cases[i].account);
		g_assert_cmpstr(masked, ==, cases[i].masked);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/identity/mask", test_mask);
	g_test_add_func("/identity/mask-account", test_mask_account);
	g_test_add_func("/identity/citizen-id", test_citizen_id);
	g_test_add_func("/identity/check-char", test_check_char);
	g_test_add_func("/identity/upgrade", test_upgrade);
	g_test_add_func("/identity/person", test_person_consistency);
	g_test_add_func("/identity/uscc", test_uscc);
	g_test_add_func("/identity/luhn", test_luhn);
	return g_test_run();
}
