/* libFuzzer target: the transfer adapter's door on untrusted bytes — the host's hardened
 * parse, the PH-XFER-1 schema, the signature's shape and certificate checks, then the
 * plugin's header and body readers (plugins/transfer/transfer-doc.c, compiled in). Built as
 * a fuzzer with -Dfuzzing=true and clang; its seed corpus also runs in the unit suite
 * through fuzz-replay. */
#include "../../plugins/transfer/transfer-private.h"
#include "fuzz-mapping.h"
#include "ph-build-config.h"

static PhXmlSchema *fuzz_schema;
static PhXmlVerifier *fuzz_verifier;

static void
fuzz_transfer_setup(void)
{
	if (fuzz_schema != NULL)
		return;
	g_autoptr(GError) error = NULL;
	g_setenv("PH_MAPPING_DIR", PH_SOURCE_DIR "/mappings", TRUE);
	fuzz_schema = ph_xml_schema_get(NULL, "transfer-1.xsd", &error);
	g_assert_no_error(error);
	/* Any CA will do: the target exercises the checks before and around the chain. */
	fuzz_verifier = ph_xml_verifier_new("/etc/ssl/certs/ca-certificates.crt", NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_transfer_setup();
	g_autoptr(GBytes) bytes = g_bytes_new(data, size);
	PhXmlLimits limits = {1024 * 1024, 16};
	g_autoptr(PhXmlDoc) doc = ph_xml_doc_parse(bytes, &limits, NULL);
	if (doc == NULL)
		return 0;
	gboolean valid = ph_xml_schema_validate(fuzz_schema, doc, NULL);
	g_auto(TransferHeader) header = {0};
	if (!transfer_header_read(doc, &header, NULL))
		return 0;
	if (fuzz_verifier != NULL) {
		g_autofree gchar *subject = NULL;
		ph_xml_verifier_verify(fuzz_verifier, doc, header.sent_at, &subject, NULL);
	}
	if (valid) {
		g_auto(TransferSheet) info = {0};
		g_auto(TransferSheet) fund = {0};
		transfer_sheet_read_info(doc, &info, NULL);
		transfer_sheet_read_fund(doc, &fund, NULL);
	}
	return 0;
}
