using Kubesharp.ApiServer.Auth.Authentication;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

public sealed class StaticTokenAuthenticatorTests
{
    private static StaticTokenAuthenticator Parse(string csv) => StaticTokenAuthenticator.Parse(new StringReader(csv), "tokens.csv");

    private static ValueTask<AuthenticationResult> AuthenticateAsync(StaticTokenAuthenticator authenticator, string? token) =>
        authenticator.AuthenticateAsync(new AuthenticationRequest(null, token), CancellationToken.None);

    [Fact]
    public async Task A_listed_token_is_its_user_with_uid_and_groups()
    {
        var tokens = Parse("""
            s3cr3t,alice,1001,"dev,ops"
            t0k3n,bob,1002

            other,carol,1003,,extra,columns
            """);

        var alice = await AuthenticateAsync(tokens, "s3cr3t");
        var bob = await AuthenticateAsync(tokens, "t0k3n");
        var carol = await AuthenticateAsync(tokens, "other");

        Assert.Equal(("alice", "1001"), (alice.User!.Name, alice.User.Uid));
        Assert.Equal(["dev", "ops"], alice.User.Groups);
        Assert.Equal(("bob", "1002"), (bob.User!.Name, bob.User.Uid));
        Assert.Empty(bob.User.Groups);
        Assert.Equal("carol", carol.User!.Name);
        Assert.Empty(carol.User.Groups);
    }

    [Theory]
    [InlineData("an unknown token", "nope")]
    [InlineData("a prefix of a token", "s3c")]
    [InlineData("no token", null)]
    public async Task Other_tokens_are_not_applicable(string name, string? token)
    {
        var result = await AuthenticateAsync(Parse("s3cr3t,alice,1001\n"), token);

        Assert.True(result.Outcome == AuthenticationOutcome.NotApplicable, $"{name}: {result.Outcome}");
    }

    [Fact]
    public async Task Quoted_fields_follow_gos_csv_rules()
    {
        var tokens = Parse("\"to,ken\",\"a \"\"quoted\"\" name\",\"multi\nline\"\r\n");

        var result = await AuthenticateAsync(tokens, "to,ken");

        Assert.Equal("a \"quoted\" name", result.User!.Name);
        Assert.Equal("multi\nline", result.User.Uid);
    }

    [Theory]
    [InlineData("too few columns", "good,alice,1\nbad,bob\n", "line 2: must have at least 3 columns")]
    [InlineData("a stray quote", "good,alice,1\n\nto\"ken,bob,2\n", "line 3: bare \" in non-quoted field")]
    [InlineData("an unterminated quote", "good,alice,1\n\"open,bob,2\n", "line 2: extraneous or missing \" in quoted-field")]
    [InlineData("text after a closing quote", "\"a\"b,bob,2\n", "line 1: extraneous or missing \" in quoted-field")]
    public void A_malformed_file_is_refused_with_its_line(string name, string csv, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Parse(csv));

        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{name}: {e.Message}");
        Assert.Contains("tokens.csv", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_tokens_are_skipped_and_repeated_tokens_keep_the_last_line_with_warnings_that_do_not_show_tokens()
    {
        var tokens = Parse(",nobody,0\ndup-secret,first,1\ndup-secret,second,2\n");

        Assert.Equal("second", (await AuthenticateAsync(tokens, "dup-secret")).User!.Name);
        Assert.Equal(AuthenticationOutcome.NotApplicable, (await AuthenticateAsync(tokens, "")).Outcome);
        Assert.Equal(2, tokens.Warnings.Count);
        Assert.Contains("line 1", tokens.Warnings[0], StringComparison.Ordinal);
        Assert.Contains("line 3", tokens.Warnings[1], StringComparison.Ordinal);
        Assert.DoesNotContain(tokens.Warnings, w => w.Contains("dup-secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_is_read_from_disk()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "abc,admin,1,system:masters\n");

            var tokens = StaticTokenAuthenticator.Load(path);

            Assert.Equal(["system:masters"], (await AuthenticateAsync(tokens, "abc")).User!.Groups);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
