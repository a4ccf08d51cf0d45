"""Cases (工单): repairs, complaints, inquiries, incidents and info slips, and their clocks."""
