using static Kubesharp.Api.Tests.Protobuf.ProtoJson;

namespace Kubesharp.Api.Tests.Protobuf;

/// <summary>The messages with their own JSON form, as upstream's MarshalJSON methods write them.</summary>
public sealed class ProtoJsonWriterSpecialTests
{
    [Theory]
    [InlineData(1_767_323_045L, 0, "2026-01-02T03:04:05Z")]
    [InlineData(1_767_323_045L, 999_999_999, "2026-01-02T03:04:05Z")]
    [InlineData(0L, 0, "1970-01-01T00:00:00Z")]
    [InlineData(-62_135_596_800L, 0, null)]
    public void Time_is_whole_seconds_and_the_zero_time_is_null(long seconds, int nanos, string? expected)
    {
        var json = Message("meta/v1.Time", ProtoBuilder.New().Num(1, seconds).Num(2, nanos));

        Assert.Equal(expected is null ? "null" : $"\"{expected}\"", json);
    }

    [Theory]
    [InlineData(1_767_323_045L, 123_456_789, "2026-01-02T03:04:05.123456Z")]
    [InlineData(1_767_323_045L, 0, "2026-01-02T03:04:05.000000Z")]
    [InlineData(1_767_323_045L, 1_500_000_000, "2026-01-02T03:04:06.500000Z")]
    [InlineData(1_767_323_045L, -1_000, "2026-01-02T03:04:04.999999Z")]
    public void MicroTime_has_six_fractional_digits_truncated_as_Go_formats_them(long seconds, int nanos, string expected) =>
        Assert.Equal($"\"{expected}\"", Message("meta/v1.MicroTime", ProtoBuilder.New().Num(1, seconds).Num(2, nanos)));

    [Fact]
    public void A_lease_carries_its_micro_times_and_zero_durations()
    {
        var lease = ProtoBuilder.New()
            .Message(1, m => m.Text(1, "node-1"))
            .Message(2, s => s.Text(1, "node-1").Num(2, 0).Message(3, t => t.Num(1, 1_767_323_045).Num(2, 7_000)).Message(4, t => t.Num(1, 1_767_323_046)).Num(5, 0));

        Assert.Equal(
            """{"metadata":{"name":"node-1","creationTimestamp":null},"spec":{"holderIdentity":"node-1","leaseDurationSeconds":0,"acquireTime":"2026-01-02T03:04:05.000007Z","renewTime":"2026-01-02T03:04:06.000000Z","leaseTransitions":0}}""",
            Message("coordination/v1.Lease", lease));
    }

    [Theory]
    [InlineData(0L, 80, null, "80")]
    [InlineData(1L, 0, "http", "\"http\"")]
    [InlineData(1L, 0, null, "\"\"")]
    public void IntOrString_is_a_number_or_a_string_by_its_type(long type, int intVal, string? strVal, string expected)
    {
        var value = ProtoBuilder.New().Num(1, type).Num(2, intVal);
        if (strVal is not null)
        {
            value.Text(3, strVal);
        }

        Assert.Equal(expected, Message("intstr.IntOrString", value));
    }

    [Fact]
    public void Quantities_are_their_strings_as_sent()
    {
        var quota = ProtoBuilder.New().Message(1, e => e.Text(1, "requests.cpu").Message(2, q => q.Text(1, "500m"))).Message(1, e => e.Text(1, "memory").Message(2, q => q.Text(1, "1.5Gi")));

        Assert.Equal("""{"hard":{"memory":"1.5Gi","requests.cpu":"500m"}}""", Message("core/v1.ResourceQuotaSpec", quota));
    }

    [Fact]
    public void Raw_extensions_and_managed_fields_embed_their_JSON()
    {
        var revision = ProtoBuilder.New()
            .Message(1, m => m.Message(17, f => f.Text(1, "kubectl").Text(2, "Update").Text(6, "FieldsV1").Message(7, v => v.Text(1, """{"f:data":{".":{}}}"""))))
            .Message(2, d => d.Text(1, """ {"spec": [1, 2]} """))
            .Num(3, 4);

        Assert.Equal(
            """{"metadata":{"creationTimestamp":null,"managedFields":[{"manager":"kubectl","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{}}}}]},"data":{"spec":[1,2]},"revision":4}""",
            Message("apps/v1.ControllerRevision", revision));
    }

    [Fact]
    public void An_absent_raw_extension_is_null_as_Go_writes_it()
    {
        Assert.Equal("""{"metadata":{"creationTimestamp":null},"data":null,"revision":0}""", Message("apps/v1.ControllerRevision", ProtoBuilder.New()));
    }

    [Fact]
    public void Json_schemas_write_their_either_or_forms()
    {
        var schema = ProtoBuilder.New()
            .Text(5, "object")
            .Message(8, d => d.Text(1, """{"a":1}"""))
            .Fixed64Number(9, 1.5)
            .Message(24, items => items.Message(1, s => s.Text(5, "string")))
            .Entry(29, "list", p => p.Text(5, "array").Message(24, items => items.Message(2, s => s.Text(5, "integer")).Message(2, s => s.Text(5, "number"))))
            .Message(30, a => a.Bool(1, false))
            .Entry(32, "needs", d => d.Text(2, "a").Text(2, "b"))
            .Entry(32, "schema", d => d.Message(1, s => s.Text(5, "object")))
            .Message(33, a => a.Bool(1, true).Message(2, s => s.Text(5, "boolean")))
            .Bool(38, false);

        Assert.Equal(
            """{"type":"object","default":{"a":1},"maximum":1.5,"items":{"type":"string"},"properties":{"list":{"type":"array","items":[{"type":"integer"},{"type":"number"}]}},"additionalProperties":false,"dependencies":{"needs":["a","b"],"schema":{"type":"object"}},"additionalItems":{"type":"boolean"},"x-kubernetes-preserve-unknown-fields":false}""",
            Message("apiextensions/v1.JSONSchemaProps", schema));
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ns")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(1_500_000L, "1.5ms")]
    [InlineData(1_000_000_000L, "1s")]
    [InlineData(90_000_000_000L, "1m30s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(5_025_500_000_000L, "1h23m45.5s")]
    [InlineData(-2_000_000_000L, "-2s")]
    [InlineData(long.MinValue, "-2562047h47m16.854775808s")]
    public void Durations_are_Go_text(long nanoseconds, string expected) =>
        Assert.Equal($"\"{expected}\"", Message("meta/v1.Duration", ProtoBuilder.New().Num(1, nanoseconds)).Replace("\\u00B5", "µ", StringComparison.Ordinal));
}
