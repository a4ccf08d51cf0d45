"""The app shell: home per role, dashboard, PWA files, health."""
