/* fuzz_catalog.c: libFuzzer harness for the catalog loader (fuzz/). Any
 * input is parsed; a catalog accepted is then read through its lookups.
 * A crash, a sanitizer report or a leak is a finding. */
#include "core/ps_catalog.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_catalog *cat = NULL;
	struct ps_faults faults = {0};
	if (ps_catalog_parse((const char *)data, size, &cat, &faults) && cat) {
		ps_catalog_plan(cat, "biz-basic");
		ps_catalog_product(cat, "business");
		ps_catalog_service(cat, "mail");
	}
	ps_faults_fini(&faults);
	ps_catalog_free(cat);
	return 0;
}
