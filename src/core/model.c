/* model.c: names and parsers of the domain's enumerations (core layer). */
#include "ps_model.h"

#include <stdlib.h>
#include <string.h>

PS_DEFINE_ENUM(ps_role, PS_ROLE, PS_ROLE_MAP)
PS_DEFINE_ENUM(ps_segment, PS_SEG, PS_SEGMENT_MAP)
PS_DEFINE_ENUM(ps_payment, PS_PAY, PS_PAYMENT_MAP)
PS_DEFINE_ENUM(ps_term, PS_TERM, PS_TERM_MAP)
PS_DEFINE_ENUM(ps_sub_status, PS_SUB, PS_SUB_STATUS_MAP)
PS_DEFINE_ENUM(ps_op_state, PS_OP, PS_OP_STATE_MAP)
PS_DEFINE_ENUM(ps_op_kind, PS_OPK, PS_OP_KIND_MAP)
PS_DEFINE_ENUM(ps_incident_status, PS_INC, PS_INCIDENT_STATUS_MAP)
PS_DEFINE_ENUM(ps_credit_status, PS_CC, PS_CREDIT_STATUS_MAP)
PS_DEFINE_ENUM(ps_invoice_status, PS_INV, PS_INVOICE_STATUS_MAP)
PS_DEFINE_ENUM(ps_line_kind, PS_LINE, PS_LINE_KIND_MAP)
PS_DEFINE_ENUM(ps_support_status, PS_SR, PS_SUPPORT_STATUS_MAP)
PS_DEFINE_ENUM(ps_event_type, PS_EV, PS_EVENT_TYPE_MAP)

bool ps_role_is_tenant(enum ps_role r)
{
	return r != PS_ROLE_OPERATOR && r != PS_ROLE_SUPPORT;
}

bool ps_sub_status_is_live(enum ps_sub_status s)
{
	return s == PS_SUB_PROVISIONING || s == PS_SUB_ACTIVE || s == PS_SUB_DISABLED;
}

bool ps_id_parse(const char *s, const char *prefix, int64_t *out)
{
	size_t pl = strlen(prefix);
	if (!s || strncmp(s, prefix, pl) != 0)
		return false;
	const char *d = s + pl;
	if (*d < '1' || *d > '9' || strlen(d) > 18)
		return false;
	char *end;
	long long v = strtoll(d, &end, 10);
	if (*end != '\0' || v <= 0)
		return false;
	*out = v;
	return true;
}
