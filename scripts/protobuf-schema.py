#!/usr/bin/env python3
"""Writes Kubesharp's protobuf schema table (src/Kubesharp.Api/Protobuf/Schema/messages.txt).

The table is data for Kubesharp.Api.Protobuf: for every message of the Kubernetes API packages listed
below, its fields in Go struct order with the protobuf field number, the JSON name, the protobuf type,
and the two Go facts that decide how Go's encoding/json writes an empty value (a pointer field, an
omitempty tag). Field numbers and types come from upstream's generated.proto files; JSON names, field
order, pointer-ness and omitempty from the Go structs (types*.go) next to them; the kinds from each
package's register.go. The well-known messages with their own JSON form (Time, Quantity, IntOrString...)
are named in SPECIAL below.

Usage: scripts/protobuf-schema.py [--ref release-1.32] API APIMACHINERY APIEXTENSIONS > messages.txt
where each argument is a git directory (a clone, or a bare mirror) of kubernetes/api,
kubernetes/apimachinery and kubernetes/apiextensions-apiserver. The files are read with `git show REF:path`.
"""

import argparse
import re
import subprocess
import sys

# (alias, repository key, package directory). The alias names the package in the table.
PACKAGES = [
    ("meta/v1", "apimachinery", "pkg/apis/meta/v1"),
    ("resource", "apimachinery", "pkg/api/resource"),
    ("intstr", "apimachinery", "pkg/util/intstr"),
    ("runtime", "apimachinery", "pkg/runtime"),
    ("core/v1", "api", "core/v1"),
    ("admissionregistration/v1", "api", "admissionregistration/v1"),
    ("apps/v1", "api", "apps/v1"),
    ("authentication/v1", "api", "authentication/v1"),
    ("authorization/v1", "api", "authorization/v1"),
    ("autoscaling/v1", "api", "autoscaling/v1"),
    ("autoscaling/v2", "api", "autoscaling/v2"),
    ("batch/v1", "api", "batch/v1"),
    ("certificates/v1", "api", "certificates/v1"),
    ("coordination/v1", "api", "coordination/v1"),
    ("discovery/v1", "api", "discovery/v1"),
    ("events/v1", "api", "events/v1"),
    ("flowcontrol/v1", "api", "flowcontrol/v1"),
    ("networking/v1", "api", "networking/v1"),
    ("node/v1", "api", "node/v1"),
    ("policy/v1", "api", "policy/v1"),
    ("rbac/v1", "api", "rbac/v1"),
    ("scheduling/v1", "api", "scheduling/v1"),
    ("storage/v1", "api", "storage/v1"),
    ("apiextensions/v1", "apiextensions", "pkg/apis/apiextensions/v1"),
]

# Messages whose JSON is not their fields (custom MarshalJSON upstream, or a Go slice type), by the name
# of their handling in Kubesharp.Api.Protobuf. runtime.Unknown is the envelope around a whole object.
SPECIAL = {
    "meta/v1.Time": "time",
    "meta/v1.MicroTime": "microtime",
    "meta/v1.Duration": "duration",
    "meta/v1.FieldsV1": "rawjson",
    "meta/v1.Verbs": "list",
    "resource.Quantity": "quantity",
    "resource.QuantityValue": "quantity",
    "intstr.IntOrString": "intorstring",
    "runtime.RawExtension": "rawextension",
    "runtime.Unknown": "envelope",
    "authentication/v1.ExtraValue": "list",
    "authorization/v1.ExtraValue": "list",
    "certificates/v1.ExtraValue": "list",
    "apiextensions/v1.JSON": "rawjson",
    "apiextensions/v1.JSONSchemaPropsOrArray": "orarray",
    "apiextensions/v1.JSONSchemaPropsOrBool": "orbool",
    "apiextensions/v1.JSONSchemaPropsOrStringArray": "orstringarray",
}

# Kinds that metav1.AddToGroupVersion registers in every group version: any apiVersion is accepted.
EVERY_VERSION = ["DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "GetOptions", "ListOptions", "WatchEvent", "Status"]

SCALARS = {"string", "bool", "int32", "int64", "uint32", "uint64", "double", "float", "bytes"}


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


def parse_proto(text, alias, aliases):
    """Messages of one generated.proto: {name: {number: (label, type, protoName)}}."""
    package = re.search(r"^package ([\w.]+);", text, re.M).group(1)
    messages = {}
    current = None
    for line in text.splitlines():
        line = line.split("//")[0].strip()
        m = re.match(r"message (\w+) \{", line)
        if m:
            current = messages.setdefault(m.group(1), {})
            continue
        if line == "}":
            current = None
            continue
        if current is None:
            continue
        m = re.match(r"map<string, ([\w.]+)> (\w+) = (\d+);", line)
        if m:
            current[int(m.group(3))] = ("map", resolve(m.group(1), alias, package, aliases), m.group(2))
            continue
        m = re.match(r"(optional|repeated|required) ([\w.]+) (\w+) = (\d+);", line)
        if m:
            label = "repeated" if m.group(1) == "repeated" else "single"
            current[int(m.group(4))] = (label, resolve(m.group(2), alias, package, aliases), m.group(3))
            continue
        if line and not line.startswith(("syntax", "package", "import", "option")):
            sys.exit(f"{alias}: cannot read proto line: {line}")
    return messages


def resolve(proto_type, alias, package, aliases):
    if proto_type in SCALARS:
        return proto_type
    name = proto_type.lstrip(".")
    if "." not in name:
        return f"{alias}.{name}"
    pkg, _, msg = name.rpartition(".")
    if pkg not in aliases:
        sys.exit(f"{alias}: type {proto_type} from a package not in PACKAGES")
    return f"{aliases[pkg]}.{msg}"


def parse_go(texts):
    """Go structs with protobuf tags: {struct: [(goName, goType, embedded, jsonTag, protoNumber)]}."""
    structs = {}
    for text in texts:
        current = None
        for raw in text.splitlines():
            m = re.match(r"^type (\w+) struct ?\{(\})?", raw)
            if m:
                current = structs.setdefault(m.group(1), [])
                if m.group(2):
                    current = None
                continue
            if current is not None and raw.startswith("}"):
                current = None
                continue
            if current is None:
                continue
            line = raw.strip()
            if line.startswith("//") or "`" not in line:
                continue
            head, tags = line.split("`", 1)
            tags = tags.rsplit("`", 1)[0]
            words = head.split()
            if len(words) == 1:
                go_name, go_type, embedded = words[0].lstrip("*").split(".")[-1], words[0], True
            elif len(words) == 2:
                go_name, go_type, embedded = words[0], words[1], False
            else:
                sys.exit(f"cannot read Go field: {line}")
            json_tag = re.search(r'json:"([^"]*)"', tags)
            proto_tag = re.search(r'protobuf:"\w+,(\d+),', tags)
            if proto_tag:
                current.append((go_name, go_type, embedded, json_tag.group(1) if json_tag else None, int(proto_tag.group(1))))
    return structs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", default="release-1.32")
    parser.add_argument("api")
    parser.add_argument("apimachinery")
    parser.add_argument("apiextensions")
    args = parser.parse_args()
    repos = {"api": args.api, "apimachinery": args.apimachinery, "apiextensions": args.apiextensions}

    protos, gos, registers = {}, {}, {}
    aliases = {}
    for alias, repo, path in PACKAGES:
        text = git(repos[repo], "show", f"{args.ref}:{path}/generated.proto")
        aliases[re.search(r"^package ([\w.]+);", text, re.M).group(1)] = alias
        protos[alias] = text
        files = [f for f in git(repos[repo], "ls-tree", "--name-only", f"{args.ref}:{path}").split()
                 if f.endswith(".go") and not f.endswith("_test.go") and not f.startswith("zz_generated") and f != "generated.pb.go"]
        gos[alias] = [git(repos[repo], "show", f"{args.ref}:{path}/{f}") for f in files]
        registers[alias] = gos[alias][files.index("register.go")] if "register.go" in files else None

    out = []
    out.append(f"# Kubernetes protobuf messages for Kubesharp.Api.Protobuf, from upstream {args.ref}.")
    out.append("# Written by scripts/protobuf-schema.py; the format is described in docs/adr/0005-protobuf-request-bodies.md.")
    missing_json = []
    for alias, _, _ in PACKAGES:
        messages = parse_proto(protos[alias], alias, aliases)
        structs = parse_go(gos[alias])
        if alias == "meta/v1":
            meta_structs = structs
        out.append("")
        out.append(f"# {alias}")
        for name in sorted(messages):
            full = f"{alias}.{name}"
            fields = messages[name]
            special = SPECIAL.get(full)
            out.append(f"message {full}" + (f" {special}" if special else ""))
            if special:
                # Special messages keep their protobuf fields (the decoder reads them by number), no JSON facts.
                for number in sorted(fields):
                    label, proto_type, proto_name = fields[number]
                    type_text = {"single": "", "repeated": "[]", "map": "{}"}[label] + proto_type
                    out.append(f"  {number} {proto_name} {type_text}")
                continue
            go_fields = structs.get(name)
            if go_fields is None:
                # A defined type over a meta/v1 struct (core/v1 List is metav1.List).
                for text in gos[alias]:
                    m = re.search(rf"^type {name} metav1\.(\w+)$", text, re.M)
                    if m:
                        go_fields = meta_structs.get(m.group(1))
            if go_fields is None:
                sys.exit(f"{full}: no Go struct")
            seen = set()
            for go_name, go_type, embedded, json_tag, number in go_fields:
                if number not in fields:
                    sys.exit(f"{full}: Go field {go_name} has protobuf number {number}, not in generated.proto")
                seen.add(number)
                label, proto_type, _ = fields[number]
                parts = (json_tag or "").split(",")
                json_name, options = parts[0], parts[1:]
                if json_name == "-":
                    sys.exit(f"{full}.{go_name}: json:\"-\" on a field of an ordinary message")
                if json_name == "" and embedded:
                    json_name = "~"
                elif json_name == "":
                    json_name = go_name
                    missing_json.append(f"{full}.{go_name}")
                type_text = {"single": "", "repeated": "[]", "map": "{}"}[label] + proto_type
                flags = []
                if go_type.startswith("*"):
                    flags.append("ptr")
                if "omitempty" in options:
                    flags.append("omitempty")
                out.append(" ".join([f"  {number}", json_name, type_text, *flags]))
            for number in sorted(set(fields) - seen):
                sys.exit(f"{full}: proto field {number} has no Go field")
        register = registers[alias]
        if register and "/" in alias:
            group = re.search(r'GroupName = "([^"]*)"', register)
            version = alias.split("/")[1]
            api_version = f"{group.group(1)}/{version}" if group and group.group(1) else version
            body = re.search(r"func addKnownTypes\(scheme \*runtime.Scheme\) error \{(.*?)\n\}", register, re.S)
            if body:
                for kind in re.findall(r"&(\w+)\{\}", body.group(1)):
                    if kind in messages:
                        out.append(f"kind {api_version} {kind} {alias}.{kind}")
    out.append("")
    out.append("# Registered in every group version by metav1.AddToGroupVersion.")
    for kind in EVERY_VERSION:
        out.append(f"kind * {kind} meta/v1.{kind}")
    if missing_json:
        print("fields without a JSON name (the Go name is used): " + ", ".join(missing_json), file=sys.stderr)
    print("\n".join(out))


if __name__ == "__main__":
    main()
