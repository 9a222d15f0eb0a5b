/* Computed fields of one file: counts, sums and sequences over the records read or
 * written, and the values that headers and trailers declare for them. A header precedes
 * what it counts, so every declared value is compared at the end. Mapping engine only. */
#include "ph-mapping-private.h"

#include "ph-error.h"

typedef struct {
	const PhMappingField *field;
	const PhMappingRecord *owner;
	/* sum-of and where as the counted record's own key strings, which a reader's records
	 * hold: found by pointer, without comparing text. */
	const gchar *sum_key;
	const gchar *where_key;
	gint64 value;
	gboolean declared;
	gint64 declared_value;
	guint64 declared_line;
} Computation;

struct _PhMappingTotals {
	PhMapping *mapping;
	const gchar *unit; /* "line" or "record" */
	Computation *computations;
	guint64 *kind_counts; /* records seen per kind */
};

static const gchar *
field_key(const PhMapping *mapping, guint of, const gchar *key)
{
	const PhMappingRecord *record = g_ptr_array_index(mapping->records, of);

	for (guint i = 0; key != NULL && i < record->fields->len; i++) {
		const PhMappingField *field = g_ptr_array_index(record->fields, i);

		if (g_strcmp0(field->key, key) == 0)
			return field->key;
	}
	return key;
}

PhMappingTotals *
ph_mapping_totals_new(PhMapping *mapping, const gchar *unit)
{
	PhMappingTotals *totals = g_new0(PhMappingTotals, 1);

	totals->mapping = ph_mapping_ref(mapping);
	totals->unit = unit;
	totals->computations = g_new0(Computation, mapping->computed->len + 1);
	totals->kind_counts = g_new0(guint64, mapping->records->len);
	for (guint i = 0; i < mapping->records->len; i++) {
		const PhMappingRecord *record = g_ptr_array_index(mapping->records, i);

		for (guint j = 0; j < record->fields->len; j++) {
			const PhMappingField *field = g_ptr_array_index(record->fields, j);

			if (field->compute == PH_COMPUTE_NONE)
				continue;
			totals->computations[field->computation].field = field;
			totals->computations[field->computation].owner = record;
			totals->computations[field->computation].sum_key =
			        field_key(mapping, field->of, field->sum_of);
			totals->computations[field->computation].where_key =
			        field_key(mapping, field->of, field->where);
		}
	}
	return totals;
}

void
ph_mapping_totals_free(PhMappingTotals *totals)
{
	if (totals == NULL)
		return;
	ph_mapping_unref(totals->mapping);
	g_free(totals->computations);
	g_free(totals->kind_counts);
	g_free(totals);
}

static gboolean
condition_holds(const Computation *computation, const PhRecord *record)
{
	const PhMappingField *field = computation->field;
	const gchar *value;

	if (field->where == NULL)
		return TRUE;
	value = ph_record_get(record, computation->where_key);
	return (g_strcmp0(value, field->where_value) == 0) != field->where_differs;
}

static gboolean
accumulate(Computation *computation, const PhMappingRecord *type, const PhRecord *record,
           GError **error)
{
	const PhMappingField *field = computation->field;
	gint64 amount = 0;

	if (field->of != type->index || field->compute == PH_COMPUTE_SEQUENCE ||
	    !condition_holds(computation, record))
		return TRUE;
	if (field->compute == PH_COMPUTE_COUNT) {
		computation->value++;
		return TRUE;
	}
	if (!ph_record_get_int(record, computation->sum_key, &amount, error))
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
declare(PhMappingTotals *totals, Computation *computation, const PhRecord *record, guint64 line,
        GError **error)
{
	const PhMappingField *field = computation->field;
	gint64 value = 0;

	if (!ph_record_contains(record, field->key))
		return TRUE;
	if (!ph_record_get_int(record, field->key, &value, error))
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
ph_mapping_totals_add(PhMappingTotals *totals, const PhMappingRecord *type, const PhRecord *record,
                      guint64 line, GError **error)
{
	guint n = totals->mapping->computed->len;

	totals->kind_counts[type->index]++;
	for (guint i = 0; i < n; i++) {
		if (!accumulate(&totals->computations[i], type, record, error))
			return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		Computation *computation = &totals->computations[i];

		if (computation->owner == type &&
		    !declare(totals, computation, record, line, error))
			return FALSE;
	}
	return TRUE;
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
