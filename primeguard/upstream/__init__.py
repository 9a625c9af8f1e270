"""Upstream providers behind one seam."""
