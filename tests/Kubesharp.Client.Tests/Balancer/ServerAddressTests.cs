using Kubesharp.Client.Balancer;

namespace Kubesharp.Client.Tests.Balancer;

public sealed class ServerAddressTests
{
    [Theory]
    [InlineData("https://10.0.0.1:6443", "10.0.0.1:6443")]
    [InlineData("https://10.0.0.1:6443/", "10.0.0.1:6443")]
    [InlineData("https://server-a:7443", "server-a:7443")]
    [InlineData("https://10.0.0.1", "10.0.0.1:6443")]
    [InlineData("https://10.0.0.1:443", "10.0.0.1:443")]
    [InlineData("10.0.0.2:6443", "10.0.0.2:6443")]
    [InlineData("server-b", "server-b:6443")]
    [InlineData("https://[fd00::1]:6443", "[fd00::1]:6443")]
    [InlineData("[fd00::1]", "[fd00::1]:6443")]
    public void An_address_is_normalised_to_host_and_port(string value, string expected) =>
        Assert.Equal(expected, ServerAddress.Parse(value));

    [Theory]
    [InlineData("http://10.0.0.1:6443")]
    [InlineData("https://10.0.0.1:6443/api")]
    [InlineData("https://")]
    [InlineData("https://user@10.0.0.1:6443")]
    public void Anything_else_is_refused_with_the_value_named(string value)
    {
        var e = Assert.Throws<FormatException>(() => ServerAddress.Parse(value));
        Assert.Contains(value, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_are_comma_separated_and_or_repeated_and_keep_their_order_without_duplicates() =>
        Assert.Equal(
            ["a:6443", "b:7443", "c:6443"],
            ServerAddress.ParseList(["https://a:6443, https://b:7443", "c", "https://a:6443"]));

    [Theory]
    [InlineData("10.0.0.1:6443", "10.0.0.1", 6443)]
    [InlineData("[fd00::1]:6443", "fd00::1", 6443)]
    public void Split_gives_the_host_without_brackets(string address, string host, int port) =>
        Assert.Equal((host, port), ServerAddress.Split(address));
}
