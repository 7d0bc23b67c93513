using System.Text;
using System.Text.Json.Nodes;
using Kubesharp.Api.Canonical;
using Kubesharp.Api.Schema;
using Kubesharp.Api.Schema.Models;

namespace Kubesharp.Api.Tests.Canonical;

public sealed class TimestampsTests
{
    /// <summary>Sets <paramref name="value"/> at a dotted path (numbers index arrays), creating what is missing.</summary>
    private static JsonObject With(string path, JsonNode? value, JsonObject? root = null)
    {
        root ??= [];
        JsonNode node = root;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var last = i == parts.Length - 1;
            var next = last ? value : int.TryParse(parts[i + 1], out _) ? new JsonArray() : new JsonObject();
            if (node is JsonArray array)
            {
                var index = int.Parse(parts[i], System.Globalization.CultureInfo.InvariantCulture);
                while (array.Count <= index)
                {
                    array.Add(last ? null : next!.DeepClone());
                }

                if (last)
                {
                    array[index] = value;
                }

                node = array[index]!;
                continue;
            }

            var obj = node.AsObject();
            if (last)
            {
                obj[parts[i]] = value;
            }
            else if (obj[parts[i]] is null)
            {
                obj[parts[i]] = next;
            }

            if (!last)
            {
                node = obj[parts[i]]!;
            }
        }

        return root;
    }

    private static JsonNode? At(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonArray array ? array[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)] : node?[part];
        }

        return node;
    }

    public static TheoryData<string, string, string, string, string?> Cases() => new()
    {
        // kind (group/version/Kind), field, what a client sent, what is stored
        { "Time with seven digits (the C# client)", "/v1/Pod", "status.startTime", "2026-11-28T01:02:03.5621610Z", "2026-11-28T01:02:03Z" },
        { "Time with an offset", "/v1/Pod", "status.startTime", "2026-11-28T01:02:03+02:00", "2026-11-27T23:02:03Z" },
        { "Time with a fraction and a negative offset", "/v1/Pod", "status.startTime", "2026-11-28T01:02:03.999999999-05:30", "2026-11-28T06:32:03Z" },
        { "Time already canonical", "/v1/Pod", "status.startTime", "2026-11-28T01:02:03Z", "2026-11-28T01:02:03Z" },
        { "Time with a comma fraction (Go accepts it)", "/v1/Pod", "status.startTime", "2026-11-28T01:02:03,5Z", "2026-11-28T01:02:03Z" },
        { "Time with a one-digit hour (Go accepts it)", "/v1/Pod", "status.startTime", "2026-11-28T1:02:03Z", "2026-11-28T01:02:03Z" },
        { "Time across a year by its offset", "/v1/Pod", "status.startTime", "2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z" },
        { "Time before year 1 by its offset", "/v1/Pod", "status.startTime", "0000-01-01T00:30:00+01:00", "-0001-12-31T23:30:00Z" },
        { "MicroTime with seven digits, truncated", "coordination.k8s.io/v1/Lease", "spec.renewTime", "2026-11-28T01:02:03.5621619Z", "2026-11-28T01:02:03.562161Z" },
        { "MicroTime with three digits", "coordination.k8s.io/v1/Lease", "spec.renewTime", "2026-11-28T01:02:03.562Z", "2026-11-28T01:02:03.562000Z" },
        { "MicroTime with no fraction", "coordination.k8s.io/v1/Lease", "spec.acquireTime", "2026-11-28T01:02:03Z", "2026-11-28T01:02:03.000000Z" },
        { "MicroTime with an offset", "coordination.k8s.io/v1/Lease", "spec.acquireTime", "2026-11-28T01:02:03.123456+01:00", "2026-11-28T00:02:03.123456Z" },
        { "MicroTime already canonical", "coordination.k8s.io/v1/Lease", "spec.renewTime", "2026-11-28T01:02:03.562161Z", "2026-11-28T01:02:03.562161Z" },
        { "core Event eventTime is a MicroTime", "/v1/Event", "eventTime", "2026-11-28T01:02:03.5621610Z", "2026-11-28T01:02:03.562161Z" },
        { "core Event firstTimestamp is a Time", "/v1/Event", "firstTimestamp", "2026-11-28T01:02:03.5621610Z", "2026-11-28T01:02:03Z" },
        { "core EventSeries lastObservedTime is a MicroTime", "/v1/Event", "series.lastObservedTime", "2026-11-28T01:02:03Z", "2026-11-28T01:02:03.000000Z" },
        { "events.k8s.io Event eventTime is a MicroTime", "events.k8s.io/v1/Event", "eventTime", "2026-11-28T01:02:03.5Z", "2026-11-28T01:02:03.500000Z" },
        { "events.k8s.io series lastObservedTime is a MicroTime", "events.k8s.io/v1/Event", "series.lastObservedTime", "2026-11-28T01:02:03.5Z", "2026-11-28T01:02:03.500000Z" },
        { "events.k8s.io deprecatedFirstTimestamp is a Time", "events.k8s.io/v1/Event", "deprecatedFirstTimestamp", "2026-11-28T01:02:03.5Z", "2026-11-28T01:02:03Z" },
        { "pod condition in a list", "/v1/Pod", "status.conditions.1.lastTransitionTime", "2026-11-28T01:02:03.5621610Z", "2026-11-28T01:02:03Z" },
        { "container state two levels into a list", "/v1/Pod", "status.containerStatuses.0.state.running.startedAt", "2026-11-28T01:02:03.5621610+00:00", "2026-11-28T01:02:03Z" },
        { "init container last state", "/v1/Pod", "status.initContainerStatuses.0.lastState.terminated.finishedAt", "2026-11-28T01:02:03.1Z", "2026-11-28T01:02:03Z" },
        { "managedFields time is a Time", "apps/v1/Deployment", "metadata.managedFields.0.time", "2026-11-28T01:02:03.5621610Z", "2026-11-28T01:02:03Z" },
        { "deployment condition (apps group)", "apps/v1/Deployment", "status.conditions.0.lastUpdateTime", "2026-11-28T01:02:03+00:00", "2026-11-28T01:02:03Z" },
        { "CRD condition, through the recursive JSONSchemaProps", "apiextensions.k8s.io/v1/CustomResourceDefinition", "status.conditions.0.lastTransitionTime", "2026-11-28T01:02:03.5Z", "2026-11-28T01:02:03Z" },
        { "the zero Time is written as null", "/v1/Pod", "status.startTime", "0001-01-01T00:00:00Z", null },
        { "the zero MicroTime is written as null", "coordination.k8s.io/v1/Lease", "spec.renewTime", "0001-01-01T01:00:00.000000+01:00", null },
        { "a string time field that is not a time stays put", "/v1/Pod", "spec.nodeName", "2026-11-28T01:02:03.5621610Z", "2026-11-28T01:02:03.5621610Z" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_time_field_is_stored_as_upstream_marshals_it(string name, string kind, string path, string sent, string? stored)
    {
        var gvk = kind.Split('/');
        var built = With(path, sent);
        // The same object again as a server has it: parsed from a body, the body's bytes given for the key scan.
        var body = Encoding.UTF8.GetBytes(built.ToJsonString());
        var parsed = JsonNode.Parse(body)!.AsObject();

        var error = Timestamps.Canonicalize(gvk[0], gvk[1], gvk[2], built);
        var errorWithBody = Timestamps.Canonicalize(gvk[0], gvk[1], gvk[2], parsed, body);

        Assert.Null(error);
        Assert.Null(errorWithBody);
        var value = At(built, path);
        Assert.True(stored == value?.GetValue<string>(), $"{name}: expected {stored ?? "null"}, got {value?.ToJsonString() ?? "null"}");
        value = At(parsed, path);
        Assert.True(stored == value?.GetValue<string>(), $"{name}, with the body: expected {stored ?? "null"}, got {value?.ToJsonString() ?? "null"}");
    }

    [Theory]
    [InlineData("parsed from JSON")]
    [InlineData("built in code")]
    public void Both_kinds_of_JSON_value_are_read(string origin)
    {
        var obj = origin == "parsed from JSON"
            ? JsonNode.Parse("""{"spec":{"renewTime":"2026-11-28T01:02:03.5621610Z","acquireTime":"2026-11-28T01:02:03.562161Z"}}""")!.AsObject()
            : new JsonObject { ["spec"] = new JsonObject { ["renewTime"] = "2026-11-28T01:02:03.5621610Z", ["acquireTime"] = "2026-11-28T01:02:03.562161Z" } };
        var canonical = obj["spec"]!["acquireTime"];

        Assert.Null(Timestamps.Canonicalize("coordination.k8s.io", "v1", "Lease", obj));

        Assert.Equal("2026-11-28T01:02:03.562161Z", obj["spec"]!["renewTime"]!.GetValue<string>());
        // A canonical value is recognised in place, not replaced.
        Assert.Same(canonical, obj["spec"]!["acquireTime"]);
    }

    [Fact]
    public void An_escaped_time_is_decoded_first()
    {
        var obj = JsonNode.Parse("""{"status":{"startTime":"2026-11-28T01:02:03\u002B02:00"}}""")!.AsObject();

        Assert.Null(Timestamps.Canonicalize("", "v1", "Pod", obj));

        Assert.Equal("2026-11-27T23:02:03Z", obj["status"]!["startTime"]!.GetValue<string>());
    }

    [Fact]
    public void A_whole_pod_is_rewritten_everywhere_and_its_other_fields_kept_in_order()
    {
        var pod = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":"2026-11-28T01:02:03.1234567Z",
             "managedFields":[{"manager":"m","time":"2026-11-28T01:02:03.1234567Z"},{"manager":"n","time":"2026-11-28T01:02:04Z"}]},
             "spec":{"containers":[{"name":"c","image":"nginx:1.25"}]},
             "status":{"phase":"Running","startTime":"2026-11-28T01:02:03.1234567Z",
              "conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-28T03:02:03+02:00"}],
              "containerStatuses":[{"name":"c","state":{"running":{"startedAt":"2026-11-28T01:02:05.5Z"}},
                "lastState":{"terminated":{"exitCode":0,"startedAt":"2026-11-28T01:00:00.1Z","finishedAt":"2026-11-28T01:01:00.9Z"}}}]}}
            """)!.AsObject();

        Assert.Null(Timestamps.Canonicalize("", "v1", "Pod", pod));

        Assert.Equal(
            """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":"2026-11-28T01:02:03Z","managedFields":[{"manager":"m","time":"2026-11-28T01:02:03Z"},{"manager":"n","time":"2026-11-28T01:02:04Z"}]},"spec":{"containers":[{"name":"c","image":"nginx:1.25"}]},"status":{"phase":"Running","startTime":"2026-11-28T01:02:03Z","conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-28T01:02:03Z"}],"containerStatuses":[{"name":"c","state":{"running":{"startedAt":"2026-11-28T01:02:05Z"}},"lastState":{"terminated":{"exitCode":0,"startedAt":"2026-11-28T01:00:00Z","finishedAt":"2026-11-28T01:01:00Z"}}}]}}""",
            pod.ToJsonString());
    }

    [Theory]
    [InlineData("example.com", "v1", "Widget")]
    [InlineData("stable.example.com", "v1", "CronTab")]
    public void A_custom_resource_is_left_as_sent(string group, string version, string kind)
    {
        const string Json = """{"apiVersion":"x/v1","kind":"K","metadata":{"name":"w","creationTimestamp":"2026-11-28T01:02:03.5621610Z"},"spec":{"at":"2026-11-28T01:02:03.5621610+02:00","bad":"x"}}""";
        var obj = JsonNode.Parse(Json)!.AsObject();

        Assert.Null(Timestamps.Canonicalize(group, version, kind, obj));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Json), obj), obj.ToJsonString());
    }

    public static TheoryData<string, string, string, string, string> Errors() => new()
    {
        // what upstream's decoder says for a value that does not parse (Go's *time.ParseError)
        { "not a time at all", "/v1/Pod", "status.startTime", "x", "parsing time \"x\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"x\" as \"2006\"" },
        { "a MicroTime names its own layout", "coordination.k8s.io/v1/Lease", "spec.renewTime", "x", "parsing time \"x\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"x\" as \"2006\"" },
        { "a space for the T", "/v1/Pod", "status.startTime", "2026-11-28 01:02:03Z", "parsing time \"2026-11-28 01:02:03Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \" 01:02:03Z\" as \"T\"" },
        { "no zone", "/v1/Pod", "status.startTime", "2026-11-28T01:02:03", "parsing time \"2026-11-28T01:02:03\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"Z07:00\"" },
        { "a date alone", "/v1/Pod", "status.startTime", "2026-11-28", "parsing time \"2026-11-28\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"T\"" },
        { "month 13", "/v1/Pod", "status.startTime", "2026-13-01T00:00:00Z", "parsing time \"2026-13-01T00:00:00Z\": month out of range" },
        { "February 30", "/v1/Pod", "status.startTime", "2026-02-30T00:00:00Z", "parsing time \"2026-02-30T00:00:00Z\": day out of range" },
        { "hour 24", "/v1/Pod", "status.startTime", "2026-02-01T24:00:00Z", "parsing time \"2026-02-01T24:00:00Z\": hour out of range" },
        { "a leap second", "/v1/Pod", "status.startTime", "2026-02-01T23:59:60Z", "parsing time \"2026-02-01T23:59:60Z\": second out of range" },
        { "text after the zone", "/v1/Pod", "status.startTime", "2026-02-01T00:00:00Zabc", "parsing time \"2026-02-01T00:00:00Zabc\": extra text: \"abc\"" },
        { "a lower-case z", "/v1/Pod", "status.startTime", "2026-02-01T00:00:00z", "parsing time \"2026-02-01T00:00:00z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"z\" as \"Z07:00\"" },
        { "an offset without a colon", "/v1/Pod", "status.startTime", "2026-02-01T00:00:00+0200", "parsing time \"2026-02-01T00:00:00+0200\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"+0200\" as \"Z07:00\"" },
        { "an offset of 25 hours", "/v1/Pod", "status.startTime", "2026-02-01T00:00:00+25:00", "parsing time \"2026-02-01T00:00:00+25:00\": time zone offset hour out of range" },
        { "a quote and non-ASCII, as Go's time package quotes them", "/v1/Pod", "status.startTime", "\"é", "parsing time \"\\\"\\xc3\\xa9\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\\\"\\xc3\\xa9\" as \"2006\"" },
        { "a MicroTime without a zone", "coordination.k8s.io/v1/Lease", "spec.renewTime", "2026-11-28T01:02:03.5", "parsing time \"2026-11-28T01:02:03.5\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \".5\" as \".000000\"" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void A_time_that_does_not_parse_is_upstreams_decoding_error(string name, string kind, string path, string sent, string expected)
    {
        var gvk = kind.Split('/');
        var obj = With(path, sent);
        var body = Encoding.UTF8.GetBytes(obj.ToJsonString());

        var error = Timestamps.Canonicalize(gvk[0], gvk[1], gvk[2], obj);
        var errorWithBody = Timestamps.Canonicalize(gvk[0], gvk[1], gvk[2], JsonNode.Parse(body)!.AsObject(), body);

        Assert.True(expected == error, $"{name}: expected {expected}, got {error ?? "no error"}");
        Assert.True(expected == errorWithBody, $"{name}, with the body: expected {expected}, got {errorWithBody ?? "no error"}");
        Assert.Equal(sent, At(obj, path)!.GetValue<string>());
    }

    public static TheoryData<string, string, string, bool> Bodies() => new()
    {
        // kind, a body, whether its times are all canonical (then the object is not walked: its nodes stay as parsed)
        { "a pod with canonical times and null ones", "/v1/Pod", """{"metadata":{"name":"p","creationTimestamp":null},"status":{"startTime":"2026-11-28T01:02:03Z","conditions":[{"lastProbeTime":null,"lastTransitionTime":"2026-11-28T01:02:03Z"}]}}""", true },
        { "a pod with no time at all (the C# client leaves out nulls)", "/v1/Pod", """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""", true },
        { "a name of a time field as a string value", "/v1/Pod", """{"metadata":{"name":"p","labels":{"a":"startTime"}},"status":{"startTime":"2026-11-28T01:02:03Z"}}""", true },
        { "space around the colon", "/v1/Pod", """{"status":{"startTime" : "2026-11-28T01:02:03.5Z"}}""", false },
        { "a new line before the value", "/v1/Pod", "{\"status\":{\"startTime\":\n\"2026-11-28T01:02:03+02:00\"}}", false },
        { "an escaped key", "/v1/Pod", """{"status":{"\u0073tartTime":"2026-11-28T01:02:03.5Z"}}""", false },
        { "a time name as a label key, not a time", "/v1/Pod", """{"metadata":{"labels":{"time":"noon"}}}""", false },
        { "the zero time, canonical in shape", "/v1/Pod", """{"status":{"startTime":"0001-01-01T00:00:00Z"}}""", false },
        { "February 30, canonical in shape", "/v1/Pod", """{"status":{"startTime":"2026-02-30T00:00:00Z"}}""", false },
        { "a Lease renewTime without its six digits", "coordination.k8s.io/v1/Lease", """{"spec":{"renewTime":"2026-11-28T01:02:03Z"}}""", false },
        { "a Lease from a Go client", "coordination.k8s.io/v1/Lease", """{"metadata":{"creationTimestamp":null},"spec":{"renewTime":"2026-11-28T01:02:03.562161Z","acquireTime":"2026-11-28T01:02:03.000000Z"}}""", true },
        { "an Event's MicroTime written as a Time", "/v1/Event", """{"eventTime":"2026-11-28T01:02:03Z","firstTimestamp":"2026-11-28T01:02:03Z"}""", false },
        { "a number where a time goes", "/v1/Pod", """{"status":{"startTime":12}}""", false },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void A_body_whose_times_are_all_canonical_is_not_walked_and_any_other_is(string name, string kind, string json, bool canonical)
    {
        var gvk = kind.Split('/');
        var body = Encoding.UTF8.GetBytes(json);
        var withBody = JsonNode.Parse(body)!.AsObject();
        var without = JsonNode.Parse(body)!.AsObject();

        var skips = Timestamps.SkipsWalk(gvk[0], gvk[1], gvk[2], body);
        var error = Timestamps.Canonicalize(gvk[0], gvk[1], gvk[2], withBody, body);
        var errorWithout = Timestamps.Canonicalize(gvk[0], gvk[1], gvk[2], without);

        Assert.True(canonical == skips, $"{name}: expected {(canonical ? "no walk" : "a walk")}");
        // The scan never changes the outcome: the object and the error are the walk's.
        Assert.True(JsonNode.DeepEquals(without, withBody), $"{name}: {withBody.ToJsonString()} against {without.ToJsonString()}");
        Assert.Equal(errorWithout, error);
    }

    [Fact]
    public void The_first_bad_time_in_document_order_is_reported_and_nothing_is_rewritten()
    {
        // Plan order would be metadata before status; the body has status first, and Go decodes in body order.
        var pod = JsonNode.Parse("""{"status":{"startTime":"first"},"metadata":{"creationTimestamp":"second","managedFields":[{"time":"2026-11-28T01:02:03.5Z"}]}}""")!.AsObject();
        var before = pod.ToJsonString();

        var error = Timestamps.Canonicalize("", "v1", "Pod", pod);

        Assert.Equal("parsing time \"first\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"first\" as \"2006\"", error);
        Assert.Equal(before, pod.ToJsonString());
    }

    [Fact]
    public void A_time_field_of_the_wrong_JSON_type_is_left_to_the_field_checks()
    {
        var pod = JsonNode.Parse("""{"status":{"startTime":12,"conditions":[{"lastTransitionTime":true}]}}""")!.AsObject();

        Assert.Null(Timestamps.Canonicalize("", "v1", "Pod", pod));

        Assert.Equal("""{"status":{"startTime":12,"conditions":[{"lastTransitionTime":true}]}}""", pod.ToJsonString());
    }

    [Fact]
    public void Every_listed_MicroTime_is_a_date_time_property_of_a_served_kinds_schema()
    {
        var definitions = new Dictionary<string, ApiSchema>(StringComparer.Ordinal);
        void Collect(ApiSchema schema)
        {
            if (schema.Name is { } name && !definitions.TryAdd(name, schema))
            {
                return;
            }

            foreach (var child in schema.Properties.Select(p => p.Schema).Append(schema.Items).OfType<ApiSchema>())
            {
                Collect(child);
            }
        }

        foreach (var resource in Kubesharp.Api.Resources.BuiltinResources.Table.All)
        {
            if (BuiltinSchemas.Instance.ForKind(resource.Group, resource.Version, resource.Kind) is { } schema)
            {
                Collect(schema);
            }
        }

        Assert.All(Timestamps.MicroTimeFields, f =>
            Assert.True(definitions.TryGetValue(f.Definition, out var owner) && owner.Property(f.Property)?.Schema.Format == "date-time", $"{f.Definition}.{f.Property} is not a date-time property of a served kind"));
    }
}
