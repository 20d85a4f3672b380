"""KPIs of the incident hub (考核指标): for an area, a department or a grid worker over a
period, with a breakdown per child area and a daily series. See grid/kpis/service.py."""
