"""Expected renders of the real chat templates in src/test/resources/fixtures/chat-templates.

Run with python3 and jinja2 (3.1.6 made the committed files): python3 tools/render_templates.py
For every template folder listed in TEMPLATES it writes <folder>/expected.json: one entry per
conversation x add_generation_prompt x template variables, holding either the rendered text or the
message of the exception the template raised. It also re-renders the older chat-templates/expected.json
(made by transformers itself) and stops if any render differs, which checks the environment below.

The environment reimplements the settings of transformers' chat_template_utils (this is not
transformers): an ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, the loopcontrols
extension and a {% generation %} block that renders its body; a tojson filter that is json.dumps with
ensure_ascii=False by default (indent, separators, sort_keys settable); raise_exception and
strftime_now globals. render() gets messages, tools (None when absent), documents (None),
add_generation_prompt, the special tokens that tokenizer_config.json sets, and the extra variables.
"""
import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "src", "test", "resources", "fixtures", "chat-templates")
TEMPLATES = ["qwen3", "llama-3.3-instruct", "mistral-nemo-instruct-2407", "gemma-3-it", "phi-4-mini-instruct"]
SPECIAL_TOKENS = ["bos_token", "eos_token", "unk_token", "pad_token"]


class GenerationBlock(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %}: a call block that returns its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller):
        return caller()


def environment():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, jinja2.ext.loopcontrols])

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env


def load(folder):
    """The template source and the special-token variables of a fixture folder."""
    config_file = os.path.join(folder, "tokenizer_config.json")
    config = json.load(open(config_file, encoding="utf-8")) if os.path.exists(config_file) else {}
    jinja_file = os.path.join(folder, "chat_template.jinja")
    if os.path.exists(jinja_file):
        source = open(jinja_file, encoding="utf-8").read()
    else:
        source = config["chat_template"]
    tokens = {}
    for name in SPECIAL_TOKENS:
        value = config.get(name)
        if isinstance(value, dict):
            value = value.get("content")
        if value is not None:
            tokens[name] = value
    return source, tokens


def render(env, source, tokens, messages, add_generation_prompt, tools=None, variables=None):
    kwargs = dict(tokens)
    kwargs.update(variables or {})
    return env.from_string(source).render(
        messages=messages, tools=tools, documents=None, add_generation_prompt=add_generation_prompt, **kwargs)


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Zürich\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TOOL_CALL = {"id": "call0001a", "type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Zürich", "unit": "celsius"}}}

PLAIN = [{"role": "user", "content": "What is 2+2?"}]
SYSTEM = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "4"},
    {"role": "user", "content": "And 3+3? Explain \"why\" in <10 words & use ünïcode 😀."},
]
THINKING = [
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "<think>\nTwo plus two.\n</think>\n\n4"},
    {"role": "user", "content": "And 3+3?"},
    {"role": "assistant", "content": "<think>\nThree plus three is six.\n</think>\n\n6"},
]
REASONING_CONTENT = [
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "4", "reasoning_content": "Two plus two."},
    {"role": "user", "content": "And 3+3?"},
    {"role": "assistant", "content": "6", "reasoning_content": "Three plus three is six."},
]
TOOL_TURNS = [
    {"role": "system", "content": "You can look up the weather."},
    {"role": "user", "content": "Weather in Zürich?"},
    {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
    {"role": "tool", "tool_call_id": "call0001a", "name": "get_weather", "content": "sunny, 21 °C"},
]
TOOL_TURNS_ANSWERED = TOOL_TURNS + [{"role": "assistant", "content": "It is sunny and 21 °C in Zürich."}]
# Phi-4-mini reads tools from the system message (a JSON string) and has no tool-call field.
PHI_TOOL_TURNS = [
    {"role": "system", "content": "You can look up the weather.", "tools": json.dumps([WEATHER_TOOL["function"]])},
    {"role": "user", "content": "Weather in Zürich?"},
    {"role": "assistant", "content": "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\"}}]"},
    {"role": "tool", "content": "sunny, 21 °C"},
]


def cases(template):
    """(name, messages, tools, variables) for a template; conversations it rejects are kept as errors."""
    out = [("plain", PLAIN, None, {}), ("system", SYSTEM, None, {}), ("thinking", THINKING, None, {})]
    if template == "qwen3":
        out += [
            ("plain-no-thinking", PLAIN, None, {"enable_thinking": False}),
            ("thinking-no-thinking", THINKING[:3], None, {"enable_thinking": False}),
            ("reasoning-content", REASONING_CONTENT, None, {}),
            ("tools-no-thinking", TOOL_TURNS, [WEATHER_TOOL], {"enable_thinking": False}),
        ]
    if template == "phi-4-mini-instruct":
        out.append(("tools", PHI_TOOL_TURNS, None, {}))
    else:
        out += [("tools", TOOL_TURNS, [WEATHER_TOOL], {}), ("tools-answered", TOOL_TURNS_ANSWERED, [WEATHER_TOOL], {})]
    if template == "llama-3.3-instruct":
        out.append(("tools-in-system", TOOL_TURNS, [WEATHER_TOOL],
                    {"tools_in_user_message": False, "date_string": "01 Dec 2026"}))
    return out


def main():
    env = environment()
    # The older fixture was rendered by transformers: this environment must reproduce it.
    for case in json.load(open(os.path.join(FIXTURES, "expected.json"), encoding="utf-8")):
        source, tokens = load(os.path.join(FIXTURES, case["template"]))
        got = render(env, source, tokens, case["conversation"], case["add_generation_prompt"])
        if got != case["rendered"]:
            sys.exit("environment differs from transformers on " + case["template"])
    for template in TEMPLATES:
        folder = os.path.join(FIXTURES, template)
        source, tokens = load(folder)
        entries = []
        for name, messages, tools, variables in cases(template):
            for add_generation_prompt in (True, False):
                entry = {"name": name, "add_generation_prompt": add_generation_prompt, "template_vars": variables,
                         "tools": tools, "conversation": messages}
                try:
                    entry["rendered"] = render(env, source, tokens, messages, add_generation_prompt, tools, variables)
                except jinja2.exceptions.TemplateError as e:
                    entry["error"] = str(e)
                entries.append(entry)
        with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8") as f:
            json.dump(entries, f, ensure_ascii=False, indent=1)
            f.write("\n")
        errors = sum("error" in e for e in entries)
        print(f"{template}: {len(entries)} renders ({errors} raise), jinja2 {jinja2.__version__}")


if __name__ == "__main__":
    main()
