/* Computed fields of one file: counts, sums and sequences over the records read or
 * written, and the values that headers and trailers declare for them. A header precedes
 * what it counts, so every declared value is compared at the end. Mapping engine only. */
#include "ph-mapping-private.h"

#include <string.h>

#include "ph-error.h"

typedef struct {
	const PhMappingField *field;
	const PhMappingRecord *owner;
	/* sum-of and where as fields of the counted record: their slots are read directly. */
	const PhMappingField *sum_field;
	const PhMappingField *where_field;
	gint64 value;
	gboolean declared;
	gint64 declared_value;
	guint64 declared_line;
} Computation;

/* The computations a record kind takes part in, found once rather than for every record:
 * the counts and sums over it, then the values it declares. */
typedef struct {
	Computation **counted; /* NULL-terminated */
	Computation **declared;
} KindPlan;

struct _PhMappingTotals {
	PhMapping *mapping;
	const gchar *unit; /* "line" or "record" */
	Computation *computations;
	guint64 *kind_counts; /* records seen per kind */
	KindPlan *plans;      /* per kind */
	PhMappingSlot *slots; /* ph_mapping_totals_add(): the record as slots */
};

static const PhMappingField *
find_field(const PhMapping *mapping, guint of, const gchar *key)
{
	const PhMappingRecord *record = g_ptr_array_index(mapping->records, of);

	for (guint i = 0; key != NULL && i < record->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(record->fields, i);

		if (g_strcmp0(field->key, key) == 0)
			return field;
	}
	return NULL;
}

static void
plan_kind(PhMappingTotals *totals, guint kind, KindPlan *plan)
{
	const PhMappingRecord *type = g_ptr_array_index(totals->mapping->records, kind);
	guint n = totals->mapping->computed->len;
	guint counted = 0, declared = 0;

	plan->counted = g_new0(Computation *, n + 1);
	plan->declared = g_new0(Computation *, n + 1);
	for (guint i = 0; i < n; i++) {
		Computation *computation = &totals->computations[i];
		const PhMappingField *field = computation->field;

		if (field->of == kind && field->compute != PH_COMPUTE_SEQUENCE)
			plan->counted[counted++] = computation;
		if (computation->owner == type)
			plan->declared[declared++] = computation;
	}
}

PhMappingTotals *
ph_mapping_totals_new(PhMapping *mapping, const gchar *unit)
{
	PhMappingTotals *totals = g_new0(PhMappingTotals, 1);

	totals->mapping = ph_mapping_ref(mapping);
	totals->unit = unit;
	totals->computations = g_new0(Computation, mapping->computed->len + 1);
	totals->kind_counts = g_new0(guint64, mapping->records->len);
	totals->slots = g_new0(PhMappingSlot, ph_mapping_slots_max(mapping) + 1);
	for (guint i = 0; i < mapping->records->len; i++) {
		const PhMappingRecord *record = g_ptr_array_index(mapping->records, i);

		for (guint j = 0; j < record->fields->len; j++) {
			const PhMappingField *field = g_ptr_array_index(record->fields, j);
			Computation *computation = &totals->computations[field->computation];

			if (field->compute == PH_COMPUTE_NONE)
				continue;
			computation->field = field;
			computation->owner = record;
			computation->sum_field = find_field(mapping, field->of, field->sum_of);
			computation->where_field = find_field(mapping, field->of, field->where);
		}
	}
	totals->plans = g_new0(KindPlan, mapping->records->len);
	for (guint i = 0; i < mapping->records->len; i++)
		plan_kind(totals, i, &totals->plans[i]);
	return totals;
}

void
ph_mapping_totals_free(PhMappingTotals *totals)
{
	if (totals == NULL)
		return;
	for (guint i = 0; i < totals->mapping->records->len; i++) {
		g_free(totals->plans[i].counted);
		g_free(totals->plans[i].declared);
	}
	g_free(totals->plans);
	ph_mapping_unref(totals->mapping);
	g_free(totals->computations);
	g_free(totals->kind_counts);
	g_free(totals->slots);
	g_free(totals);
}

/* The slot as the C string a record would give: an integer formatted into @buffer, text up
 * to a NUL it may hold. */
static const gchar *
slot_text(const PhMappingSlot *slot, gchar buffer[24], gsize *len)
{
	if (slot->state == PH_SLOT_INT) {
		*len = (gsize)g_snprintf(buffer, 24, "%" G_GINT64_FORMAT, slot->number);
		return buffer;
	}
	*len = strnlen(slot->text, slot->len);
	return slot->text;
}

/* The common case of slot_int(): text of 1 to 18 digits, which holds no NUL, so its C
 * string is all of it. */
static inline gboolean
plain_int(const PhMappingSlot *slot, gint64 *value)
{
	gint64 number = 0;

	if (slot->state != PH_SLOT_TEXT || slot->len == 0 || slot->len > 18)
		return FALSE;
	for (gsize i = 0; i < slot->len; i++) {
		guint digit = (guint)(guchar)slot->text[i] - '0';

		if (digit > 9)
			return FALSE;
		number = number * 10 + digit;
	}
	*value = number;
	return TRUE;
}

/* As ph_record_get_int() reads a value: at most 18 digits after an optional '-'. */
static gboolean
slot_int(const PhMappingRecord *type, const PhMappingField *field, const PhMappingSlot *slot,
         gint64 *value, GError **error)
{
	gchar buffer[24];
	gsize len = 0;
	const gchar *text;
	gboolean negative;
	guint64 magnitude = 0;
	gsize n;

	if (slot->state == PH_SLOT_INT) {
		*value = slot->number;
		return TRUE;
	}
	if (plain_int(slot, value))
		return TRUE;
	if (slot->state == PH_SLOT_ABSENT) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT, "record %s has no field %s",
		            type->kind, field->key);
		return FALSE;
	}
	text = slot_text(slot, buffer, &len);
	negative = len > 0 && text[0] == '-';
	n = negative ? 1 : 0;
	for (; n < len && g_ascii_isdigit(text[n]); n++)
		magnitude = magnitude * 10 + (guint64)(text[n] - '0');
	if (n != len || n == (negative ? 1u : 0u) || n - (negative ? 1 : 0) > 18) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s field %s: '%.*s' is not an integer", type->kind, field->key,
		            (int)len, text);
		return FALSE;
	}
	*value = negative ? -(gint64)magnitude : (gint64)magnitude;
	return TRUE;
}

static gboolean
condition_holds(const Computation *computation, const PhMappingSlot *slots)
{
	const PhMappingField *field = computation->field;
	const PhMappingSlot *slot;
	gchar buffer[24];
	const gchar *text;
	gsize len;

	if (field->where == NULL)
		return TRUE;
	slot = &slots[computation->where_field->index];
	if (slot->state == PH_SLOT_ABSENT)
		return field->where_differs;
	text = slot_text(slot, buffer, &len);
	return (len == strlen(field->where_value) && memcmp(text, field->where_value, len) == 0) !=
	       field->where_differs;
}

static gboolean
accumulate(Computation *computation, const PhMappingRecord *type, const PhMappingSlot *slots,
           GError **error)
{
	const PhMappingField *field = computation->field;
	gint64 amount = 0;

	if (field->of != type->index || field->compute == PH_COMPUTE_SEQUENCE ||
	    !condition_holds(computation, slots))
		return TRUE;
	if (field->compute == PH_COMPUTE_COUNT) {
		computation->value++;
		return TRUE;
	}
	if (!slot_int(type, computation->sum_field, &slots[computation->sum_field->index], &amount,
	              error))
		return FALSE;
	if ((amount > 0 && computation->value > G_MAXINT64 - amount) ||
	    (amount < 0 && computation->value < G_MININT64 - amount)) {
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "record %s field %s: the sum overflows", type->kind, field->sum_of);
		return FALSE;
	}
	computation->value += amount;
	return TRUE;
}

/* A record states a computed value: a sequence is checked at once, the rest at the end. */
static gboolean
declare(PhMappingTotals *totals, Computation *computation, const PhMappingSlot *slots, guint64 line,
        GError **error)
{
	const PhMappingField *field = computation->field;
	gint64 value = 0;

	if (slots[field->index].state == PH_SLOT_ABSENT)
		return TRUE;
	if (!slot_int(computation->owner, field, &slots[field->index], &value, error))
		return FALSE;
	if (field->compute == PH_COMPUTE_SEQUENCE) {
		guint64 expected = totals->kind_counts[field->of];

		if (value != (gint64)expected) {
			g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
			            "record %s field %s: is %" G_GINT64_FORMAT
			            ", expected %" G_GUINT64_FORMAT " (the sequence)",
			            computation->owner->kind, field->key, value, expected);
			return FALSE;
		}
		return TRUE;
	}
	computation->declared = TRUE;
	computation->declared_value = value;
	computation->declared_line = line;
	return TRUE;
}

gboolean
ph_mapping_totals_add_slots(PhMappingTotals *totals, const PhMappingRecord *type,
                            const PhMappingSlot *slots, guint64 line, GError **error)
{
	const KindPlan *plan = &totals->plans[type->index];

	totals->kind_counts[type->index]++;
	for (Computation **counted = plan->counted; *counted != NULL; counted++) {
		if (!accumulate(*counted, type, slots, error))
			return FALSE;
	}
	for (Computation **declared = plan->declared; *declared != NULL; declared++) {
		if (!declare(totals, *declared, slots, line, error))
			return FALSE;
	}
	return TRUE;
}

/* TRUE when computation @c over the records of @run cannot fail: a count or a sum of plain
 * numbers that stays in range, with no condition to test. */
static gboolean
run_counts(const Computation *c, const PhMappingRun *run)
{
	guint i;

	if (c->field->where != NULL)
		return FALSE;
	if (c->field->compute == PH_COMPUTE_COUNT)
		return TRUE;
	i = c->sum_field->index;
	return run->plain[i] && c->value <= G_MAXINT64 - run->sums[i];
}

/* TRUE when value @c declares in the records of @run is a sequence over their own kind that
 * goes on from the records before. */
static gboolean
run_declares(const PhMappingTotals *totals, const Computation *c, const PhMappingRun *run)
{
	const PhMappingField *field = c->field;
	guint i = field->index;

	return field->compute == PH_COMPUTE_SEQUENCE && field->of == run->type->index &&
	       run->steps[i] && run->first[i].number == (gint64)totals->kind_counts[field->of] + 1;
}

gboolean
ph_mapping_totals_add_run(PhMappingTotals *totals, const PhMappingRun *run)
{
	const KindPlan *plan = &totals->plans[run->type->index];

	for (Computation **counted = plan->counted; *counted != NULL; counted++) {
		if (!run_counts(*counted, run))
			return FALSE;
	}
	for (Computation **declared = plan->declared; *declared != NULL; declared++) {
		if (!run_declares(totals, *declared, run))
			return FALSE;
	}
	/* Nothing can fail now: as ph_mapping_totals_add_slots() record by record. */
	for (Computation **counted = plan->counted; *counted != NULL; counted++) {
		Computation *c = *counted;

		c->value += c->field->compute == PH_COMPUTE_COUNT ? (gint64)run->n
		                                                  : run->sums[c->sum_field->index];
	}
	totals->kind_counts[run->type->index] += run->n;
	return TRUE;
}

gboolean
ph_mapping_totals_add(PhMappingTotals *totals, const PhMappingRecord *type, const PhRecord *record,
                      guint64 line, GError **error)
{
	ph_mapping_slots_from_record(type, record, totals->slots);
	return ph_mapping_totals_add_slots(totals, type, totals->slots, line, error);
}

gint64
ph_mapping_totals_get(PhMappingTotals *totals, const PhMappingField *field)
{
	Computation *computation = &totals->computations[field->computation];

	if (field->compute == PH_COMPUTE_SEQUENCE)
		return (gint64)totals->kind_counts[field->of];
	return computation->value;
}

gboolean
ph_mapping_totals_check(PhMappingTotals *totals, GError **error)
{
	for (guint i = 0; i < totals->mapping->computed->len; i++) {
		const Computation *computation = &totals->computations[i];
		const PhMappingField *field = computation->field;
		const PhMappingRecord *of = g_ptr_array_index(totals->mapping->records, field->of);
		g_autofree gchar *at = NULL;

		if (!computation->declared || computation->declared_value == computation->value)
			continue;
		at = computation->declared_line > 0
		             ? g_strdup_printf("%s %" G_GUINT64_FORMAT ": ", totals->unit,
		                               computation->declared_line)
		             : g_strdup("");
		g_set_error(error, PH_ERROR, PH_ERROR_INVALID_INPUT,
		            "%srecord %s field %s: says %" G_GINT64_FORMAT
		            " but the %s records %s %" G_GINT64_FORMAT,
		            at, computation->owner->kind, field->key, computation->declared_value,
		            of->kind, field->compute == PH_COMPUTE_COUNT ? "number" : "add up to",
		            computation->value);
		return FALSE;
	}
	return TRUE;
}
