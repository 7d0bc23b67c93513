using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;
using static Kubesharp.Api.Tests.Crd.CrdFixtures;

namespace Kubesharp.Api.Tests.Crd;

public sealed class CrdStatusTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Defaults_fill_singular_list_kind_and_conversion()
    {
        var crd = Definition(c =>
        {
            var names = Spec(c)["names"]!.AsObject();
            names.Remove("singular");
            names.Remove("listKind");
        });

        CrdStatus.ApplyDefaults(crd);

        Assert.Equal("widget", crd["spec"]!["names"]!["singular"]!.GetValue<string>());
        Assert.Equal("WidgetList", crd["spec"]!["names"]!["listKind"]!.GetValue<string>());
        Assert.Equal("None", crd["spec"]!["conversion"]!["strategy"]!.GetValue<string>());
    }

    [Fact]
    public void A_new_definition_starts_with_nothing_accepted_and_its_storage_version_stored()
    {
        var crd = Definition(c => c["status"] = JsonNode.Parse("""{"conditions":[{"type":"Established","status":"True"}]}"""));

        CrdStatus.ResetForCreate(crd);

        Assert.Equal("""{"acceptedNames":{"plural":"","kind":""},"storedVersions":["v1"]}""", crd["status"]!.ToJsonString());
    }

    [Fact]
    public void Fresh_names_are_accepted_and_establishing_starts()
    {
        var naming = CrdStatus.CalculateNames(CrdObject.Parse(Definition()), []);

        Assert.Equal(("True", "NoConflicts", "no conflicts found"), (naming.Status, naming.Reason, naming.Message));
        Assert.True(naming.Accepted.SameAs(CrdObject.Parse(Definition()).Names));
        Assert.Equal(("False", "Installing", "the initial names have been accepted"), (naming.Established.Status, naming.Established.Reason, naming.Established.Message));
    }

    public static TheoryData<string, Action<JsonObject>, string, string> Conflicts => new()
    {
        { "plural", c => { Spec(c)["names"]!["kind"] = "Gizmo"; Spec(c)["names"]!["listKind"] = "GizmoList"; Spec(c)["names"]!["singular"] = "gizmo"; Spec(c)["names"]!["shortNames"] = new JsonArray(); }, "PluralConflict", "\"widgets\" is already in use" },
        { "kind", c => { Spec(c)["names"]!["plural"] = "gizmos"; Spec(c)["names"]!["singular"] = "gizmo"; Spec(c)["names"]!["shortNames"] = new JsonArray(); }, "ListKindConflict", "\"WidgetList\" is already in use" },
        { "short name", c => { Spec(c)["names"]!["plural"] = "gizmos"; Spec(c)["names"]!["singular"] = "gizmo"; Spec(c)["names"]!["kind"] = "Gizmo"; Spec(c)["names"]!["listKind"] = "GizmoList"; }, "ShortNamesConflict", "\"wd\" is already in use" },
    };

    [Theory]
    [MemberData(nameof(Conflicts))]
    public void A_name_another_definition_of_the_group_accepted_is_refused(string why, Action<JsonObject> change, string reason, string message)
    {
        var other = Established();
        var crd = CrdObject.Parse(Definition(c =>
        {
            c["metadata"]!["name"] = "gizmos.example.com";
            change(c);
        }));

        var naming = CrdStatus.CalculateNames(crd, [other, crd]);

        Assert.True(naming.Status == "False" && naming.Reason == reason && naming.Message == message, $"{why}: got {naming.Status} {naming.Reason} {naming.Message}");
        Assert.Equal(("False", "NotAccepted"), (naming.Established.Status, naming.Established.Reason));
    }

    [Fact]
    public void Names_in_another_group_do_not_conflict()
    {
        var other = Established(c => Spec(c)["group"] = "other.example.com");

        Assert.Equal("True", CrdStatus.CalculateNames(CrdObject.Parse(Definition()), [other]).Status);
    }

    [Fact]
    public void A_condition_keeps_its_transition_time_until_its_status_changes()
    {
        var crd = Definition();
        CrdStatus.SetCondition(crd, "Established", "False", "Installing", "m", Now);
        CrdStatus.SetCondition(crd, "Established", "False", "Other", "m2", Now.AddMinutes(1));
        var unchanged = crd["status"]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>();
        CrdStatus.SetCondition(crd, "Established", "True", "InitialNamesAccepted", "m3", Now.AddMinutes(2));

        Assert.Equal("2025-06-01T12:00:00Z", unchanged);
        Assert.Equal("2025-06-01T12:02:00Z", crd["status"]!["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
        Assert.Single(crd["status"]!["conditions"]!.AsArray());
    }
}
