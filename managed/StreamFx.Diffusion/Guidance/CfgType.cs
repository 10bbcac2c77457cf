namespace StreamFx.Diffusion.Guidance;

/// <summary>Residual classifier-free guidance variants (StreamDiffusion RCFG).</summary>
public enum CfgType
{
    /// <summary>No guidance: the UNet batch is n.</summary>
    None,
    /// <summary>Self-negative: eps_u = delta * stock noise; batch n, no extra pass.</summary>
    Self,
    /// <summary>One-time negative: one extra negative-prompt item seeds the stock noise; batch n+1.</summary>
    Initialize,
    /// <summary>Full CFG: a negative-prompt pass for every item; batch 2n.</summary>
    Full,
}

public static class CfgTypeNames
{
    public static bool TryParse(string? text, out CfgType type)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "none": type = CfgType.None; return true;
            case "self": type = CfgType.Self; return true;
            case "initialize": type = CfgType.Initialize; return true;
            case "full": type = CfgType.Full; return true;
            default: type = CfgType.None; return false;
        }
    }

    public static string Name(CfgType type) => type switch
    {
        CfgType.Self => "self",
        CfgType.Initialize => "initialize",
        CfgType.Full => "full",
        _ => "none",
    };
}
