using static Kubesharp.Api.Tests.Protobuf.ProtoJson;

namespace Kubesharp.Api.Tests.Protobuf;

/// <summary>
/// The empty-value rule of ADR 5: the JSON is what Go's encoding/json writes for the struct gogo-protobuf decodes,
/// so every case below names the Go fact (pointer, omitempty, value struct) that decides it.
/// </summary>
public sealed class ProtoJsonWriterTests
{
    public static TheoryData<string, string, ProtoBuilder, string> EmptyValues => new()
    {
        { "an empty omitempty string is dropped (ObjectMeta.name)", "meta/v1.ObjectMeta", ProtoBuilder.New().Text(1, "").Text(3, "ns"), """{"namespace":"ns","creationTimestamp":null}""" },
        { "an empty string without omitempty stays (Container.name)", "core/v1.Container", ProtoBuilder.New().Text(1, "").Text(2, ""), """{"name":"","resources":{}}""" },
        { "a missing string without omitempty is its zero (Container.name)", "core/v1.Container", ProtoBuilder.New(), """{"name":"","resources":{}}""" },
        { "a zero int without omitempty stays (PriorityClass.value)", "scheduling/v1.PriorityClass", ProtoBuilder.New().Num(2, 0).Bool(3, false), """{"metadata":{"creationTimestamp":null},"value":0}""" },
        { "a false omitempty bool is dropped (PodSpec.hostNetwork)", "core/v1.PodSpec", ProtoBuilder.New().Bool(11, false), """{"containers":null}""" },
        { "a pointer set to false stays (PodSpec.automountServiceAccountToken)", "core/v1.PodSpec", ProtoBuilder.New().Bool(21, false), """{"containers":null,"automountServiceAccountToken":false}""" },
        { "a pointer set to zero stays (DeploymentSpec.replicas)", "apps/v1.DeploymentSpec", ProtoBuilder.New().Num(1, 0).Message(2, s => { }), """{"replicas":0,"selector":{},"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"strategy":{}}""" },
        { "a nil pointer without omitempty is null (DeploymentSpec.selector)", "apps/v1.DeploymentSpec", ProtoBuilder.New(), """{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"strategy":{}}""" },
        { "a nil slice without omitempty is null (PolicyRule.verbs)", "rbac/v1.PolicyRule", ProtoBuilder.New().Text(3, "pods"), """{"verbs":null,"resources":["pods"]}""" },
        { "an empty string in a list stays", "rbac/v1.PolicyRule", ProtoBuilder.New().Text(1, "get").Text(2, ""), """{"verbs":["get"],"apiGroups":[""]}""" },
        { "an empty value struct is written (DeploymentStatus)", "apps/v1.Deployment", ProtoBuilder.New().Empty(3), """{"metadata":{"creationTimestamp":null},"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"strategy":{}},"status":{}}""" },
        { "an empty pointer struct is written when present (EmptyDir)", "core/v1.Volume", ProtoBuilder.New().Text(1, "v").Message(2, s => s.Empty(2)), """{"name":"v","emptyDir":{}}""" },
        { "an inline struct's fields join the object (Volume.VolumeSource)", "core/v1.Volume", ProtoBuilder.New().Text(1, "v").Message(2, s => s.Message(19, c => c.Message(1, r => r.Text(1, "cm")))), """{"name":"v","configMap":{"name":"cm"}}""" },
        { "a zero Time is null (ObjectMeta.creationTimestamp)", "meta/v1.ObjectMeta", ProtoBuilder.New().Empty(8), """{"creationTimestamp":null}""" },
        { "a nil pointer Time with omitempty is dropped (deletionTimestamp)", "meta/v1.ObjectMeta", ProtoBuilder.New().Text(1, "x"), """{"name":"x","creationTimestamp":null}""" },
        { "an empty map with omitempty is dropped (ConfigMap.data)", "core/v1.ConfigMap", ProtoBuilder.New(), """{"metadata":{"creationTimestamp":null}}""" },
        { "an empty byte string in a map stays (Secret.data)", "core/v1.Secret", ProtoBuilder.New().Entry(2, "a", "b").Message(2, e => e.Text(1, "empty").Bytes(2, [])), """{"metadata":{"creationTimestamp":null},"data":{"a":"Yg==","empty":""}}""" },
        { "a map entry without a value holds the zero (ResourceQuotaSpec.hard)", "core/v1.ResourceQuotaSpec", ProtoBuilder.New().Message(1, e => e.Text(1, "pods")), """{"hard":{"pods":"0"}}""" },
        { "a missing IntOrString value field is 0 (ServicePort.targetPort)", "core/v1.ServicePort", ProtoBuilder.New().Num(3, 80), """{"port":80,"targetPort":0}""" },
    };

    [Theory]
    [MemberData(nameof(EmptyValues))]
    public void Empty_values_are_written_as_Go_writes_them(string name, string message, ProtoBuilder data, string expected) =>
        Assert.True(expected == Message(message, data), $"{name}: expected {expected}, got {Message(message, data)}");

    [Fact]
    public void Map_keys_are_sorted_and_the_last_of_a_repeated_key_wins()
    {
        var meta = ProtoBuilder.New().Entry(11, "b", "2").Entry(11, "a", "1").Entry(11, "b", "3").Entry(11, "", "empty-key");

        Assert.Equal("""{"creationTimestamp":null,"labels":{"":"empty-key","a":"1","b":"3"}}""", Message("meta/v1.ObjectMeta", meta));
    }

    [Fact]
    public void The_last_of_a_repeated_scalar_wins_and_repeated_messages_merge()
    {
        // Protobuf's rules: concatenated messages merge, a scalar seen twice keeps the last value.
        var spec = ProtoBuilder.New()
            .Message(1, v => v.Text(1, "first").Message(2, s => s.Message(1, h => h.Text(1, "a"))))
            .Text(3, "Never")
            .Text(3, "Always")
            .Message(14, s => s.Num(2, 1000))
            .Message(14, s => s.Num(5, 2000));

        Assert.Equal(
            """{"volumes":[{"name":"first","hostPath":{"path":"a"}}],"containers":null,"restartPolicy":"Always","securityContext":{"runAsUser":1000,"fsGroup":2000}}""",
            Message("core/v1.PodSpec", spec));
    }

    [Fact]
    public void Fields_are_written_in_Go_struct_order_whatever_the_wire_order()
    {
        var port = ProtoBuilder.New().Num(5, 30080).Message(4, t => t.Num(2, 8080)).Num(3, 80).Text(2, "TCP").Text(1, "web");

        Assert.Equal("""{"name":"web","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}""", Message("core/v1.ServicePort", port));
    }

    [Fact]
    public void Unknown_fields_of_every_wire_type_are_skipped()
    {
        var container = ProtoBuilder.New()
            .Varint(99, 5)
            .Text(1, "c")
            .Tag(98, 1).Raw(1, 2, 3, 4, 5, 6, 7, 8)
            .Tag(97, 5).Raw(1, 2, 3, 4)
            .Tag(96, 3).Varint(1, 1).Tag(95, 3).Text(2, "nested group").Tag(95, 4).Tag(96, 4)
            .Text(2, "img");

        Assert.Equal("""{"name":"c","image":"img","resources":{}}""", Message("core/v1.Container", container));
    }

    [Fact]
    public void Repeated_numbers_are_read_packed_or_not()
    {
        var context = ProtoBuilder.New().Packed(4, 0, 1000).Num(4, 4294967295).Packed(4);

        Assert.Equal("""{"supplementalGroups":[0,1000,4294967295]}""", Message("core/v1.PodSecurityContext", context));
    }

    [Fact]
    public void Negative_numbers_survive_their_ten_byte_varints()
    {
        var port = ProtoBuilder.New().Num(3, -1).Num(5, int.MinValue);

        Assert.Equal("""{"port":-1,"targetPort":0,"nodePort":-2147483648}""", Message("core/v1.ServicePort", port));
    }

    [Fact]
    public void Invalid_UTF8_becomes_the_replacement_character_as_in_Go()
    {
        var meta = ProtoBuilder.New().Bytes(1, [0x61, 0xff, 0x62]);

        Assert.Equal("""{"name":"a\uFFFDb","creationTimestamp":null}""", Message("meta/v1.ObjectMeta", meta));
    }

    [Fact]
    public void A_list_wrapper_is_an_array_and_null_when_empty()
    {
        var review = ProtoBuilder.New()
            .Text(3, "jane")
            .Entry(5, "scopes", e => e.Text(1, "a").Text(1, "b"))
            .Message(5, e => e.Text(1, "none"));

        Assert.Equal("""{"user":"jane","extra":{"none":null,"scopes":["a","b"]}}""", Message("authorization/v1.SubjectAccessReviewSpec", review));
    }
}
