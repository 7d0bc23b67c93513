using Kubesharp.Client.Balancer;

namespace Kubesharp.Client.Tests.Balancer;

public sealed class ServerListTests
{
    [Fact]
    public void The_first_command_line_server_is_current_and_the_others_follow_in_order()
    {
        var list = new ServerList(["a:1", "b:1", "c:1"]);

        Assert.Equal("a:1", list.Current);
        Assert.Equal(["a:1", "b:1", "c:1"], list.Candidates());
    }

    [Fact]
    public void A_down_server_is_tried_last_and_the_order_rotates_from_the_current_one()
    {
        var list = new ServerList(["a:1", "b:1", "c:1"]);

        Assert.True(list.SetHealth("a:1", false));
        Assert.False(list.SetHealth("a:1", false));
        Assert.Equal(["b:1", "c:1", "a:1"], list.Candidates());

        list.Connected("c:1");
        Assert.Equal("c:1", list.Current);
        Assert.Equal(["c:1", "b:1", "a:1"], list.Candidates());
    }

    [Fact]
    public void A_connection_marks_a_server_up_again()
    {
        var list = new ServerList(["a:1", "b:1"]);
        list.SetHealth("a:1", false);

        list.Connected("a:1");

        Assert.True(list.IsUp("a:1"));
        Assert.Equal(["a:1", "b:1"], list.Candidates());
    }

    [Fact]
    public void Learned_servers_are_added_after_the_command_line_ones_and_replaced_as_a_set()
    {
        var list = new ServerList(["a:1"]);

        var (added, removed) = list.SetLearned(["a:1", "b:1", "c:1"]);
        Assert.Equal(["b:1", "c:1"], added);
        Assert.Empty(removed);
        Assert.Equal(["a:1", "b:1", "c:1"], list.All);

        (added, removed) = list.SetLearned(["c:1", "d:1"]);
        Assert.Equal(["d:1"], added);
        Assert.Equal(["b:1"], removed);
        Assert.Equal(["a:1", "c:1", "d:1"], list.All);
    }

    [Fact]
    public void A_command_line_server_missing_from_the_endpoints_is_kept()
    {
        var list = new ServerList(["a:1"]);
        list.SetLearned(["a:1", "b:1"]);

        var (_, removed) = list.SetLearned(["b:1"]);

        Assert.Empty(removed);
        Assert.Equal(["a:1", "b:1"], list.All);
    }

    [Fact]
    public void An_empty_endpoints_list_changes_nothing()
    {
        var list = new ServerList(["a:1"]);
        list.SetLearned(["b:1"]);

        var (added, removed) = list.SetLearned([]);

        Assert.Empty(added);
        Assert.Empty(removed);
        Assert.Equal(["a:1", "b:1"], list.All);
    }

    [Fact]
    public void When_the_current_server_is_dropped_the_first_known_one_becomes_current()
    {
        var list = new ServerList(["a:1"]);
        list.SetLearned(["b:1", "c:1"]);
        list.Connected("c:1");

        list.SetLearned(["b:1"]);

        Assert.Equal("a:1", list.Current);
        Assert.False(list.IsUp("c:1"));
        Assert.False(list.SetHealth("c:1", false));
    }
}
