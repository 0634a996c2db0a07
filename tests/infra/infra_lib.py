"""Readers used by test_infra.py: Terraform (python-hcl2), the compose file, the Dockerfile, and the
environment variables the Rust services read (found by scanning their sources)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import hcl2

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
COMPOSE = REPO / "infra" / "docker-compose.yml"
DOCKERFILE = REPO / "infra" / "docker" / "Dockerfile"
DOCKERIGNORE = REPO / "infra" / "docker" / "Dockerfile.dockerignore"
ENV_DOC = REPO / "infra" / "env.md"


# --- Terraform ------------------------------------------------------------------------------------


def unquote(text: str) -> str:
    """python-hcl2 keeps the quotes of string literals and block labels: `"x"` -> `x`."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def load_tf(path: Path) -> dict:
    """Parses one .tf file; raises on a syntax error (which checkov would silently skip)."""
    with path.open() as handle:
        return hcl2.load(handle)


def _blocks(parsed: dict, kind: str) -> list[dict]:
    return [b for b in parsed.get(kind, []) if isinstance(b, dict)]


def _named(block: dict) -> list[tuple[str, object]]:
    return [(unquote(k), v) for k, v in block.items() if not k.startswith("__")]


@dataclass
class Terraform:
    """Everything the checks need from a folder of .tf files."""

    files: dict[str, dict]
    variables: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, object] = field(default_factory=dict)
    resources: dict[str, dict] = field(default_factory=dict)  # "type.name" -> body
    data: dict[str, dict] = field(default_factory=dict)  # "type.name" -> body
    modules: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    providers: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, folder: Path) -> "Terraform":
        tf = cls(files={p.name: load_tf(p) for p in sorted(folder.glob("*.tf"))})
        for parsed in tf.files.values():
            tf._collect(parsed)
        return tf

    @classmethod
    def from_sources(cls, sources: dict[str, str]) -> "Terraform":
        """Same as load() for in-memory files (used to test the checks themselves)."""
        tf = cls(files={name: hcl2.loads(text) for name, text in sources.items()})
        for parsed in tf.files.values():
            tf._collect(parsed)
        return tf

    def _collect(self, parsed: dict) -> None:
        for block in _blocks(parsed, "variable"):
            self.variables.update(_named(block))
        for block in _blocks(parsed, "locals"):
            self.locals.update(_named(block))
        for block in _blocks(parsed, "module"):
            self.modules.update(_named(block))
        for block in _blocks(parsed, "output"):
            self.outputs.update(_named(block))
        for kind, target in (("resource", self.resources), ("data", self.data)):
            for block in _blocks(parsed, kind):
                for rtype, named in _named(block):
                    for name, body in _named(named):
                        target[f"{rtype}.{name}"] = body
        for block in _blocks(parsed, "terraform"):
            for req in block.get("required_providers", []):
                self.providers.update(name for name, _ in _named(req))
        for block in _blocks(parsed, "provider"):
            self.providers.update(name for name, _ in _named(block))

    def of_type(self, rtype: str) -> dict[str, dict]:
        prefix = rtype + "."
        return {k[len(prefix):]: v for k, v in self.resources.items() if k.startswith(prefix)}

    def variable_default(self, name: str):
        return literal(self.variables[name].get("default"))


def literal(value):
    """A python-hcl2 value with literal quotes removed (strings only; other types as they are)."""
    return unquote(value) if isinstance(value, str) else value


def interpolations(text: str) -> list[str]:
    """The `${ ... }` expressions inside one python-hcl2 string, braces balanced."""
    found, i = [], 0
    while (start := text.find("${", i)) != -1:
        depth, j = 0, start + 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        found.append(text[start + 2 : j])
        i = j + 1
    return found


def expressions(value) -> list[str]:
    """Every expression in a parsed body, skipping comments."""
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "__comments__":
                out.extend(expressions(item))
    elif isinstance(value, list):
        for item in value:
            out.extend(expressions(item))
    elif isinstance(value, str):
        out.extend(interpolations(value))
    return out


def _strip_string_literals(expr: str) -> str:
    """Removes quoted literals (e.g. "com.amazonaws.x") but keeps the `${...}` inside them."""
    return re.sub(r'"(?:[^"\\$]|\\.)*"', " ", expr)


NAME = r"[A-Za-z_][A-Za-z0-9_-]*"


def undeclared_references(tf: Terraform) -> list[str]:
    """`var.X`, `local.X`, `module.X`, `data.T.N` and `T.N` (for the declared providers) that
    nothing declares, as "file: reference" strings."""
    resource_re = re.compile(
        rf"(?<![\w.])((?:{'|'.join(sorted(tf.providers)) or 'aws'})_[A-Za-z0-9_]+)\.({NAME})"
    )
    problems = []
    for filename, parsed in tf.files.items():
        for expr in expressions(parsed):
            code = _strip_string_literals(expr)
            for name in re.findall(rf"(?<![\w.])var\.({NAME})", code):
                if name not in tf.variables:
                    problems.append(f"{filename}: var.{name}")
            for name in re.findall(rf"(?<![\w.])local\.({NAME})", code):
                if name not in tf.locals:
                    problems.append(f"{filename}: local.{name}")
            for name in re.findall(rf"(?<![\w.])module\.({NAME})", code):
                if name not in tf.modules:
                    problems.append(f"{filename}: module.{name}")
            for rtype, name in re.findall(rf"(?<![\w.])data\.({NAME})\.({NAME})", code):
                if f"{rtype}.{name}" not in tf.data:
                    problems.append(f"{filename}: data.{rtype}.{name}")
            for rtype, name in resource_re.findall(code):
                if f"{rtype}.{name}" not in tf.resources:
                    problems.append(f"{filename}: {rtype}.{name}")
    return sorted(set(problems))


def used_variables(tf: Terraform) -> set[str]:
    used = set()
    for parsed in tf.files.values():
        for expr in expressions(parsed):
            used.update(re.findall(rf"(?<![\w.])var\.({NAME})", expr))
    return used


def tfvars_keys(path: Path) -> set[str]:
    with path.open() as handle:
        return {k for k in hcl2.load(handle) if not k.startswith("__")}


def run_checkov(directory: Path, framework: str, checkov_bin: str) -> dict:
    """Runs checkov on one folder and one framework; returns its JSON report."""
    # No --quiet: it drops the skipped checks (and their reasons) from the report.
    proc = subprocess.run(
        [checkov_bin, "-d", str(directory), "--framework", framework, "--skip-download",
         "-o", "json", "--compact"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        raise AssertionError(f"checkov printed no JSON (exit {proc.returncode}): {proc.stderr[-2000:]}") from err
    if isinstance(report, list):  # several frameworks; we ask for one
        [report] = report
    return report


# --- Rust services --------------------------------------------------------------------------------

_EXPLICIT_ENV = re.compile(r'\benv\s*=\s*"([A-Z][A-Z0-9_]*)"')
_STD_ENV = re.compile(r'env::var(?:_os)?\(\s*"([A-Z][A-Z0-9_]*)"')
_ARG_ATTR = re.compile(r"#\[arg\((.*?)\)\]\s*(?:///[^\n]*\s*|#\[[^\n]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*([^,\n]+)", re.S)

# Variables read by libraries rather than by name in our code, keyed by a marker in the source.
AMBIENT = {
    "from_default_env": {"RUST_LOG"},
    "aws_config::": {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
        "AWS_PROFILE", "AWS_ENDPOINT_URL",
    },
}


@dataclass
class ServiceEnv:
    """The environment variables one service reads, and those it cannot start without."""

    reads: set[str]
    required: set[str]
    sources: list[Path]


def scan_rust_env(text: str) -> tuple[set[str], set[str]]:
    """(variables read, variables required) declared in one Rust source file."""
    reads = set(_EXPLICIT_ENV.findall(text)) | set(_STD_ENV.findall(text))
    required = set()
    for attr, field_name, field_type in _ARG_ATTR.findall(text):
        if not re.search(r"\benv\b(?!!)", attr):
            continue
        explicit = _EXPLICIT_ENV.search(attr)
        name = explicit.group(1) if explicit else field_name.upper()
        reads.add(name)
        optional = re.match(r"\s*(Option<|bool\b|Vec<)", field_type)
        if "default_value" not in attr and not optional:
            required.add(name)
    for marker, names in AMBIENT.items():
        if marker in text:
            reads |= names
    return reads, required


def service_env(service: str) -> ServiceEnv:
    """Scans services/<service>/src, plus services/common/src when the service depends on it."""
    roots = [REPO / "services" / service / "src"]
    manifest = (REPO / "services" / service / "Cargo.toml").read_text()
    if re.search(r"^natter-common\b", manifest, re.M):
        roots.append(REPO / "services" / "common" / "src")
    reads, required, sources = set(), set(), []
    for root in roots:
        for path in sorted(root.rglob("*.rs")):
            r, q = scan_rust_env(path.read_text())
            reads |= r
            required |= q
            sources.append(path)
    return ServiceEnv(reads, required, sources)


# --- Compose and Dockerfile -----------------------------------------------------------------------


def compose_env(service: dict) -> dict[str, str]:
    """A compose service's environment as a dict (map or list form)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {p[0]: (p[1] if len(p) > 1 else "") for p in pairs}
    return {k: "" if v is None else str(v) for k, v in env.items()}


def interpolate_defaults(value: str) -> str:
    """Resolves compose `${VAR:-default}` / `${VAR-default}` to the default, `${VAR}` to ''."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def url_host(value: str) -> str:
    return urlparse(interpolate_defaults(value)).hostname or ""


@dataclass
class Stage:
    name: str
    base: str
    lines: list[str]

    def env(self) -> dict[str, str]:
        out = {}
        for line in self.lines:
            if line.upper().startswith("ENV "):
                out.update(re.findall(r"([A-Z][A-Z0-9_]*)=(\S+)", line[4:]))
        return out

    def instruction(self, keyword: str) -> list[str]:
        return [l[len(keyword) + 1 :].strip() for l in self.lines if l.upper().startswith(keyword + " ")]


def dockerfile_stages(path: Path) -> dict[str, Stage]:
    """Stages of a Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: dict[str, Stage] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            parts = line.split()
            name = parts[3] if len(parts) >= 4 and parts[2].upper() == "AS" else f"stage{len(stages)}"
            current = Stage(name, parts[1], [])
            stages[name] = current
        elif current is not None:
            current.lines.append(line)
    return stages
