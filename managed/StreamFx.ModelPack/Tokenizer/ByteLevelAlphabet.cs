namespace StreamFx.ModelPack.Tokenizer;

/// <summary>
/// The GPT-2/CLIP byte-to-unicode table: printable Latin-1 bytes map to themselves, the other bytes
/// to U+0100 upwards, so every byte string becomes a whitespace-free text. The order (printable
/// ranges first) is the order of the first 256 vocabulary ids.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly (byte Byte, char Char)[] Table = Build();

    /// <summary>(byte, char) pairs in vocabulary order: entry i is the token with id i.</summary>
    public static ReadOnlySpan<(byte Byte, char Char)> InVocabularyOrder => Table;

    public static char ToChar(byte value)
    {
        foreach ((byte b, char c) in Table)
        {
            if (b == value)
            {
                return c;
            }
        }

        throw new InvalidOperationException("unreachable: every byte has a character");
    }

    private static (byte, char)[] Build()
    {
        var table = new List<(byte, char)>(256);
        var taken = new bool[256];
        foreach ((int from, int to) in new[] { ('!', '~'), ('¡', '¬'), ('®', 'ÿ') })
        {
            for (int b = from; b <= to; b++)
            {
                table.Add(((byte)b, (char)b));
                taken[b] = true;
            }
        }

        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            if (!taken[b])
            {
                table.Add(((byte)b, (char)(256 + next++)));
            }
        }

        return [.. table];
    }
}
