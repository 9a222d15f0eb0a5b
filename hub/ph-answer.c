/* PhAnswer allocation. Host-only, except ph_answer_free which plugins call. */
#include "ph-answer.h"

PhAnswer *
ph_answer_new(guint status, const gchar *content_type, GBytes *body)
{
	PhAnswer *answer = g_new0(PhAnswer, 1);
	answer->status = status;
	answer->content_type = g_strdup(content_type);
	answer->body = body != NULL ? g_bytes_ref(body) : NULL;
	return answer;
}

PhAnswer *
ph_answer_copy(const PhAnswer *answer)
{
	g_return_val_if_fail(answer != NULL, NULL);
	return ph_answer_new(answer->status, answer->content_type, answer->body);
}

void
ph_answer_free(PhAnswer *answer)
{
	if (answer == NULL)
		return;
	g_free(answer->content_type);
	g_clear_pointer(&answer->body, g_bytes_unref);
	g_free(answer);
}
