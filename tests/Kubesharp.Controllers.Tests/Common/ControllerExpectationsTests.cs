using Kubesharp.Controllers.Common;
using Kubesharp.Testing.Client;

namespace Kubesharp.Controllers.Tests.Common;

public sealed class ControllerExpectationsTests
{
    private readonly FakeClock _clock = new();

    [Fact]
    public void An_owner_without_a_record_is_satisfied()
    {
        var expectations = new ControllerExpectations(_clock);

        Assert.True(expectations.Satisfied("ns/a"));
        Assert.Null(expectations.Pending("ns/a"));
    }

    [Fact]
    public void Creations_are_satisfied_once_each_is_observed()
    {
        var expectations = new ControllerExpectations(_clock);
        expectations.ExpectCreations("ns/a", 3);

        var seen = new List<bool>();
        for (var i = 0; i < 3; i++)
        {
            seen.Add(expectations.Satisfied("ns/a"));
            expectations.CreationObserved("ns/a");
        }

        Assert.Equal([false, false, false], seen);
        Assert.True(expectations.Satisfied("ns/a"));
    }

    [Fact]
    public void A_deletion_counts_once_by_pod_key_and_unexpected_pods_count_nothing()
    {
        var expectations = new ControllerExpectations(_clock);
        expectations.ExpectDeletions("ns/a", ["ns/p1", "ns/p2"]);

        expectations.DeletionObserved("ns/a", "ns/p1");
        expectations.DeletionObserved("ns/a", "ns/p1");
        expectations.DeletionObserved("ns/a", "ns/other");

        Assert.Equal((0, 1), expectations.Pending("ns/a"));
        Assert.False(expectations.Satisfied("ns/a"));
        expectations.DeletionObserved("ns/a", "ns/p2");
        Assert.True(expectations.Satisfied("ns/a"));
    }

    [Fact]
    public void Expectations_expire_after_five_minutes()
    {
        var expectations = new ControllerExpectations(_clock);
        expectations.ExpectCreations("ns/a", 1);

        _clock.Advance(TimeSpan.FromMinutes(5));
        var atTimeout = expectations.Satisfied("ns/a");
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.False(atTimeout);
        Assert.True(expectations.Satisfied("ns/a"));
    }

    [Fact]
    public void Lowering_for_failed_creates_and_deleting_the_record()
    {
        var expectations = new ControllerExpectations(_clock);
        expectations.ExpectCreations("ns/a", 4);

        expectations.Lower("ns/a", 3, 0);
        Assert.Equal((1, 0), expectations.Pending("ns/a"));
        expectations.Delete("ns/a");

        Assert.True(expectations.Satisfied("ns/a"));
        Assert.Null(expectations.Pending("ns/a"));
    }

    [Fact]
    public void A_new_expectation_replaces_the_old_record()
    {
        var expectations = new ControllerExpectations(_clock);
        expectations.ExpectDeletions("ns/a", ["ns/p1"]);

        expectations.ExpectCreations("ns/a", 2);
        expectations.DeletionObserved("ns/a", "ns/p1");

        Assert.Equal((2, 0), expectations.Pending("ns/a"));
    }
}
