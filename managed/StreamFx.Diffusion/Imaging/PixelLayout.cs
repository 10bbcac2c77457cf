namespace StreamFx.Diffusion.Imaging;

/// <summary>Byte order of a 4-byte pixel in the shared-memory frame.</summary>
public enum PixelLayout
{
    Rgba,
    Bgra,
}

/// <summary>How a frame of another aspect ratio reaches the model's square.</summary>
public enum FitMode
{
    /// <summary>Scale to cover the square, cut the overflow; outside the cut, the output shows the input.</summary>
    Crop,
    /// <summary>Scale to fit inside the square with black bars; the bars are dropped on the way back.</summary>
    Fit,
    /// <summary>Scale each axis independently.</summary>
    Stretch,
}

public static class FitModeNames
{
    public static bool TryParse(string? text, out FitMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "crop": mode = FitMode.Crop; return true;
            case "fit": mode = FitMode.Fit; return true;
            case "stretch": mode = FitMode.Stretch; return true;
            default: mode = FitMode.Crop; return false;
        }
    }
}
