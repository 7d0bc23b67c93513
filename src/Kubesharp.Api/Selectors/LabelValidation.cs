namespace Kubesharp.Api.Selectors;

/// <summary>
/// Label key and value rules of upstream's <c>util/validation</c> (<c>IsQualifiedName</c>,
/// <c>IsValidLabelValue</c>, <c>IsDNS1123Subdomain</c>), with their messages as v1.32 words them.
/// Each check returns every rule broken, in upstream's order; an empty list means valid. Lengths count
/// UTF-8 bytes, as Go does. Stateless and thread-safe.
/// </summary>
internal static class LabelValidation
{
    public const int QualifiedNameMaxLength = 63;
    public const int LabelValueMaxLength = 63;
    public const int Dns1123SubdomainMaxLength = 253;

    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string QualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    private const string LabelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    private const string Dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

    /// <summary>A label key: an optional DNS-subdomain prefix and <c>/</c>, then a name of at most 63 characters.</summary>
    public static List<string> IsQualifiedName(string value)
    {
        var errs = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    errs.Add("prefix part " + EmptyError());
                }
                else
                {
                    foreach (var m in IsDns1123Subdomain(parts[0]))
                    {
                        errs.Add("prefix part " + m);
                    }
                }

                break;
            default:
                errs.Add("a qualified name " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
        }

        if (name.Length == 0)
        {
            errs.Add("name part " + EmptyError());
        }
        else if (GoText.Utf8Length(name) > QualifiedNameMaxLength)
        {
            errs.Add("name part " + MaxLenError(QualifiedNameMaxLength));
        }

        if (!IsQualifiedNamePart(name))
        {
            errs.Add("name part " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        }

        return errs;
    }

    /// <summary>A label value: empty, or at most 63 characters of the qualified-name alphabet.</summary>
    public static List<string> IsValidLabelValue(string value)
    {
        var errs = new List<string>();
        if (GoText.Utf8Length(value) > LabelValueMaxLength)
        {
            errs.Add(MaxLenError(LabelValueMaxLength));
        }

        if (value.Length != 0 && !IsQualifiedNamePart(value))
        {
            errs.Add(RegexError(LabelValueErrMsg, LabelValueFmt, "MyValue", "my_value", "12345"));
        }

        return errs;
    }

    public static List<string> IsDns1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (GoText.Utf8Length(value) > Dns1123SubdomainMaxLength)
        {
            errs.Add(MaxLenError(Dns1123SubdomainMaxLength));
        }

        if (!IsDns1123SubdomainSyntax(value))
        {
            errs.Add(RegexError(Dns1123SubdomainErrMsg, Dns1123SubdomainFmt, "example.com"));
        }

        return errs;
    }

    /// <summary>Upstream's <c>RegexError</c>: the rule, examples, and the regular expression that states it.</summary>
    public static string RegexError(string message, string format, params string[] examples)
    {
        if (examples.Length == 0)
        {
            return message + " (regex used for validation is '" + format + "')";
        }

        // Upstream's wording puts ", " after every example and " or " between them: "'a',  or 'b', ".
        var text = message + " (e.g. ";
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0)
            {
                text += " or ";
            }

            text += "'" + examples[i] + "', ";
        }

        return text + "regex used for validation is '" + format + "')";
    }

    public static string MaxLenError(int length) => $"must be no more than {length} characters";

    public static string EmptyError() => "must be non-empty";

    // ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], ASCII only.
    private static bool IsQualifiedNamePart(string s)
    {
        if (s.Length == 0 || !char.IsAsciiLetterOrDigit(s[0]) || !char.IsAsciiLetterOrDigit(s[^1]))
        {
            return false;
        }

        for (var i = 1; i < s.Length - 1; i++)
        {
            var c = s[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    // Dot-separated labels of [a-z0-9]([-a-z0-9]*[a-z0-9])?.
    private static bool IsDns1123SubdomainSyntax(string s)
    {
        var start = 0;
        while (true)
        {
            var dot = s.IndexOf('.', start);
            var end = dot < 0 ? s.Length : dot;
            if (!IsDns1123LabelSyntax(s.AsSpan(start, end - start)))
            {
                return false;
            }

            if (dot < 0)
            {
                return true;
            }

            start = dot + 1;
        }
    }

    private static bool IsDns1123LabelSyntax(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || !IsLowerAlnum(s[0]) || !IsLowerAlnum(s[^1]))
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!IsLowerAlnum(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerAlnum(char c) => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c);
}
