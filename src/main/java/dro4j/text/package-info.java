/**
 * Text in and out of a model: the Hugging Face {@link dro4j.text.Tokenizer} of a model folder and
 * its {@link dro4j.text.ChatTemplate}, which turns a conversation of {@link dro4j.text.ChatMessage}s
 * into the prompt string exactly as transformers' {@code apply_chat_template} does.
 */
package dro4j.text;
