using k8s.Models;
using Kubesharp.Controllers.EndpointSlices;
using static Kubesharp.Controllers.Tests.Endpoints.ServiceObjects;

namespace Kubesharp.Controllers.Tests.EndpointSlices;

public sealed class EndpointSliceTrackerTests
{
    private static V1EndpointSlice Slice(string uid, long generation, string service = "web") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = uid,
            NamespaceProperty = Ns,
            Uid = uid,
            Generation = generation,
            Labels = new Dictionary<string, string> { [EndpointSliceLabels.ServiceName] = service, [EndpointSliceLabels.ManagedBy] = EndpointSliceLabels.Controller },
        },
        AddressType = "IPv4",
        Endpoints = [],
    };

    [Fact]
    public void Only_slices_newer_than_written_need_a_sync()
    {
        var tracker = new EndpointSliceTracker();
        Assert.True(tracker.ShouldSync(Slice("s1", 1)));

        tracker.Update(Slice("s1", 2));

        Assert.False(tracker.ShouldSync(Slice("s1", 1)));
        Assert.False(tracker.ShouldSync(Slice("s1", 2)));
        Assert.True(tracker.ShouldSync(Slice("s1", 3)));
        Assert.True(tracker.ShouldSync(Slice("s2", 1)));
    }

    [Theory]
    [InlineData("older listed", true)]
    [InlineData("written one missing", true)]
    [InlineData("deleted one listed", true)]
    [InlineData("up to date", false)]
    [InlineData("deleted one gone", false)]
    public void The_cache_is_stale_when_it_does_not_show_the_writes(string state, bool stale)
    {
        var tracker = new EndpointSliceTracker();
        tracker.Update(Slice("s1", 2));
        tracker.ExpectDeletion(Slice("s2", 1));
        IReadOnlyList<V1EndpointSlice> listed = state switch
        {
            "older listed" => [Slice("s1", 1)],
            "written one missing" => [],
            "deleted one listed" => [Slice("s1", 2), Slice("s2", 1)],
            _ => [Slice("s1", 2)],
        };

        Assert.Equal(stale, tracker.StaleSlices(Service(), listed));
    }

    [Fact]
    public void Writes_for_an_earlier_service_of_the_same_name_do_not_make_the_new_one_stale()
    {
        var tracker = new EndpointSliceTracker();
        Assert.False(tracker.StaleSlices(Service(uid: "first"), []));
        tracker.Update(Slice("s1", 1));
        Assert.True(tracker.StaleSlices(Service(uid: "first"), []));

        Assert.False(tracker.StaleSlices(Service(uid: "second"), []));
    }

    [Fact]
    public void A_deletion_is_news_only_when_it_was_not_expected()
    {
        var tracker = new EndpointSliceTracker();
        tracker.Update(Slice("s1", 1));
        tracker.ExpectDeletion(Slice("s2", 1));

        Assert.False(tracker.HandleDeletion(Slice("s1", 1)));
        Assert.True(tracker.HandleDeletion(Slice("s2", 1)));
        Assert.False(tracker.Has(Slice("s1", 1)));
        Assert.True(tracker.HandleDeletion(Slice("s3", 1)));
    }
}
