package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendGap separates the data area from the legend column.
const legendGap = 3 * vg.Millimeter

// saveStacked draws plots one above the other, each w wide (plus the
// legend column) and h high, into path; the format follows the extension
// (.png or .svg). Each plot's legend is drawn in a column right of the
// data areas, level with its plot's top, so that it never covers data.
func saveStacked(path string, w, h vg.Length, plots ...*plot.Plot) error {
	format := strings.TrimPrefix(filepath.Ext(path), ".")
	if format != "png" && format != "svg" {
		return fmt.Errorf("%w: plot %s: extension must be .png or .svg", ErrBadParameter, path)
	}
	legends := make([]plot.Legend, len(plots))
	legendWidth := vg.Length(0)
	for i, p := range plots {
		legends[i] = p.Legend
		legends[i].Top, legends[i].Left = true, true
		legends[i].Padding = vg.Millimeter
		p.Legend = plot.NewLegend() // empty: nothing drawn over the data
		r := legends[i].Rectangle(draw.Canvas{})
		legendWidth = max(legendWidth, r.Max.X-r.Min.X)
	}
	if legendWidth > 0 {
		legendWidth += 2 * legendGap // before and after the legend
	}
	c, err := draw.NewFormattedCanvas(w+legendWidth, h*vg.Length(len(plots)), format)
	if err != nil {
		return fmt.Errorf("bench: plot %s: %w", path, err)
	}
	full := draw.New(c)
	dataPart := draw.Crop(full, 0, -legendWidth, 0, 0)
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(rows, tiles, dataPart)
	for i, p := range plots {
		p.Draw(canvases[i][0])
		area := p.DataCanvas(canvases[i][0])
		area.Min.X, area.Max.X = dataPart.Max.X+legendGap, full.Max.X-legendGap
		legends[i].Draw(area)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: plot %s: %w", path, err)
	}
	return f.Close()
}
